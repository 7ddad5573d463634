/* Exercises: abnormal termination: the program prints, fflush()es stdout and
 * then calls abort() from a function in another object.  A SIGABRT handler
 * in JIT'd code writes with write(2) and returns, so the process still dies
 * by SIGABRT; atexit handlers and destructors must NOT run. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void validate_or_die(const int *v, int n);      /* checker.c */

static void on_abrt(int sig)
{
    static const char msg[] = "SIGABRT handler ran, returning\n";
    if (sig == SIGABRT) write(STDOUT_FILENO, msg, sizeof msg - 1);
}
static void never(void) { printf("atexit handler must not run\n"); }
__attribute__((destructor)) static void no_dtor(void) { printf("destructor must not run\n"); }

int main(void)
{
    int good[] = { 1, 2, 3, 4, 5 }, bad[] = { 1, 2, 30, 4, 5 };
    atexit(never);
    signal(SIGABRT, on_abrt);
    validate_or_die(good, 5);
    printf("first array ok\n");
    validate_or_die(bad, 5);
    printf("not reached\n");
    return 0;
}
