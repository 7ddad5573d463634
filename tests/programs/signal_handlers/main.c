/* Exercises: signal handlers living in JIT'd code: signal(SIGUSR1) + raise,
 * sigaction(SA_SIGINFO) handler in another object receiving siginfo
 * (si_signo, si_code, si_value via sigqueue), and a handler restored from the
 * old action returned by sigaction. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

extern volatile sig_atomic_t usr1_count;
extern volatile int info_signo, info_code_is_queue, info_value, info_calls;
void on_usr1(int sig);
void on_info(int sig, siginfo_t *si, void *uctx);

static volatile sig_atomic_t usr2_plain;
static void on_usr2_plain(int sig) { usr2_plain += sig == SIGUSR2 ? 10 : 1; }

int main(void)
{
    if (signal(SIGUSR1, on_usr1) == SIG_ERR) { puts("signal failed"); return 1; }
    for (int i = 0; i < 3; i++) raise(SIGUSR1);
    printf("usr1_count=%d\n", (int)usr1_count);

    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_info;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    signal(SIGUSR2, on_usr2_plain);
    if (sigaction(SIGUSR2, &sa, &old) != 0) { puts("sigaction failed"); return 1; }
    printf("old handler is on_usr2_plain: %s\n", old.sa_handler == on_usr2_plain ? "yes" : "no");

    union sigval val;
    val.sival_int = 31337;
    sigqueue(getpid(), SIGUSR2, val);
    printf("info: calls=%d signo=%s queued=%d value=%d\n", info_calls,
           info_signo == SIGUSR2 ? "SIGUSR2" : "other", info_code_is_queue, info_value);
    raise(SIGUSR2);
    printf("info after raise: calls=%d queued=%d\n", info_calls, info_code_is_queue);

    sigaction(SIGUSR2, &old, NULL);
    raise(SIGUSR2);
    raise(SIGUSR2);
    printf("usr2_plain=%d\n", (int)usr2_plain);

    signal(SIGUSR1, SIG_IGN);
    raise(SIGUSR1);
    printf("ignored SIGUSR1, count still %d\n", (int)usr1_count);
    return 0;
}
