/* Exercises: TLS variables with per-variable tls_model attributes (all four
 * models in one program, whatever -ftls-model says), TLS used before main
 * (a constructor writes it) and after main (an atexit handler and a
 * destructor read it), and TLS touched from a signal handler. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

__thread int gd_var __attribute__((tls_model("global-dynamic"))) = 11;
static __thread int ld_var __attribute__((tls_model("local-dynamic"))) = 22;
__thread int ie_var __attribute__((tls_model("initial-exec"))) = 33;
static __thread int le_var __attribute__((tls_model("local-exec"))) = 44;
__thread volatile sig_atomic_t signals_seen;

int b_read_all(void);     /* b_other.c: the extern ones through other models */
void b_bump_all(int k);   /* b_other.c */
int ctor_seen;

__attribute__((constructor)) static void early(void)
{
    ld_var += 1;
    le_var += 1;
    ctor_seen = gd_var + ie_var;
}

static void at_exit_handler(void)
{
    printf("atexit: gd %d ld %d ie %d le %d via b %d\n", gd_var, ld_var, ie_var, le_var, b_read_all());
}

__attribute__((destructor)) static void late(void)
{
    printf("destructor: gd %d ld %d ie %d le %d signals %d\n", gd_var, ld_var, ie_var, le_var, (int)signals_seen);
}

static void on_usr1(int sig)
{
    (void)sig;
    signals_seen++;
    le_var += 1000;
}

int main(void)
{
    atexit(at_exit_handler);
    printf("main: ctor saw %d, gd %d ld %d ie %d le %d via b %d\n", ctor_seen, gd_var, ld_var, ie_var, le_var,
           b_read_all());
    b_bump_all(5);
    signal(SIGUSR1, on_usr1);
    raise(SIGUSR1);
    raise(SIGUSR1);
    printf("main: after bump and 2 signals: gd %d ld %d ie %d le %d via b %d signals %d\n", gd_var, ld_var, ie_var,
           le_var, b_read_all(), (int)signals_seen);
    return 0;
}
