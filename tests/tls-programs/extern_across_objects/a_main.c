/* Exercises: extern __thread variables defined in another object (global
 * dynamic / initial-exec accesses across objects), static __thread
 * variables of the same name in two objects (distinct, local-dynamic),
 * the same data reached from main, from helpers and from two threads. */
#include <pthread.h>
#include <stdio.h>
#include "tls.h"

__thread int counter = 10;

static void run(const char *who, int k)
{
    for (int i = 0; i < 8; i++) b_add(i, (long)(i + 1) * k);
    counter += k;
    int hb = 0, hc = 0;
    for (int i = 0; i < k; i++) hb = b_private_bump();
    for (int i = 0; i < 2 * k; i++) hc = c_private_bump();
    c_relabel(who);
    printf("%-8s counter %d x3 %d sum %ld hidden b %d c %d label '%s' totals[7] %ld\n", who, counter,
           c_counter_times(3), b_sum(), hb, hc, label, totals[7]);
}

static void *thread_main(void *arg)
{
    run((const char *)arg, 5);
    run((const char *)arg, 1);
    return NULL;
}

int main(void)
{
    printf("initial: counter %d label '%s' sum %ld\n", counter, label, b_sum());
    run("main", 2);
    pthread_t t1, t2;
    pthread_create(&t1, NULL, thread_main, "first");
    pthread_join(t1, NULL);
    pthread_create(&t2, NULL, thread_main, "second");
    pthread_join(t2, NULL);
    run("main", 3);
    return 0;
}
