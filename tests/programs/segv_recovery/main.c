/* Exercises: a program's own SIGSEGV and SIGFPE handlers, set with
 * sigaction and signal, that recover with siglongjmp. Under `lantern run`
 * the crash handler keeps them behind its report and runs them after it:
 * the program recovers and ends as natively. */
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

static sigjmp_buf recover;
static volatile int faults;

static void on_fault(int sig, siginfo_t *info, void *context) {
    (void)info;
    (void)context;
    faults += sig == SIGSEGV ? 1 : 100;
    siglongjmp(recover, sig);
}

static void on_fpe(int sig) {
    faults += sig == SIGFPE ? 10 : 1000;
    siglongjmp(recover, sig);
}

int probe(volatile int *p) { return *p; }

int divide(volatile int a, volatile int b) { return a / b; }

int main(void) {
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_fault;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGSEGV, &sa, &old) != 0) return 1;
    printf("previous SIGSEGV action was %s\n", old.sa_handler == SIG_DFL ? "default" : "other");
    if (signal(SIGFPE, on_fpe) != SIG_DFL) puts("SIGFPE was not default");
    for (int round = 0; round < 2; round++) {
        int sig = sigsetjmp(recover, 1);
        if (sig == 0) {
            printf("probe: %d\n", probe((volatile int *)0));
        } else {
            printf("round %d recovered from signal %d\n", round, sig);
        }
    }
    int sig = sigsetjmp(recover, 1);
    if (sig == 0) printf("divide: %d\n", divide(7, 0));
    else printf("recovered from signal %d\n", sig);
    struct sigaction now;
    sigaction(SIGSEGV, NULL, &now);
    printf("handler still set: %d, faults: %d\n", now.sa_sigaction == on_fault, faults);
    return 0;
}
