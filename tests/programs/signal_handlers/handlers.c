/* second object: the handlers */
#include <signal.h>

volatile sig_atomic_t usr1_count;
volatile int info_signo, info_code_is_queue, info_value, info_calls;

void on_usr1(int sig)
{
    if (sig == SIGUSR1) usr1_count++;
}

void on_info(int sig, siginfo_t *si, void *uctx)
{
    (void)uctx;
    info_calls++;
    info_signo = si->si_signo == sig ? sig : -1;
    info_code_is_queue = si->si_code == SI_QUEUE;
    if (si->si_code == SI_QUEUE) info_value = si->si_value.sival_int;
}
