/* bench/lazy-bench.sh: the cost of a call through a redirectable symbol's
 * stub against a direct call, and the first-call latency of a lazy unit. */
#define _GNU_SOURCE
#include <stdio.h>
#include <time.h>

int lazy_add(int a, int b);   /* lazy.c: called through its stub under --lazy */
int first_once(int x);        /* first.c: its first call links its unit */

__attribute__((noinline)) int direct_add(int a, int b)
{
    __asm__ volatile("");
    return a + b;
}

static double now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e9 + t.tv_nsec;
}

#define CALLS 100000000

int main(void)
{
    double t0 = now_ns();
    int r = first_once(1);
    double t1 = now_ns();
    r += first_once(2);
    double t2 = now_ns();
    printf("first call: %.1f us, second call: %.3f us\n", (t1 - t0) / 1e3, (t2 - t1) / 1e3);
    for (int round = 0; round < 3; round++) {
        int s = 0;
        double a = now_ns();
        for (int i = 0; i < CALLS; i++)
            s = direct_add(s, i);
        double b = now_ns();
        for (int i = 0; i < CALLS; i++)
            s = lazy_add(s, i);
        double c = now_ns();
        printf("round %d: direct %.3f ns/call, other object %.3f ns/call (%d)\n", round,
               (b - a) / CALLS, (c - b) / CALLS, s + r);
    }
    return 0;
}
