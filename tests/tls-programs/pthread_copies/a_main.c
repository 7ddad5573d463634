/* Exercises: TLS in threads made by pthread_create: each of 4 threads (run
 * concurrently, released together by a barrier) checks that it starts with
 * the initial image (.tdata value, .tbss zero), changes its copy heavily
 * through helpers in another object, and returns a digest through
 * pthread_join; main's copy is untouched by all of them. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>

__thread int seed = 12345;
__thread unsigned long acc;
__thread int steps;

unsigned long churn(int rounds);     /* b_churn.c */
pthread_barrier_t barrier;

static void *worker(void *arg)
{
    int id = (int)(intptr_t)arg;
    int pristine = seed == 12345 && acc == 0 && steps == 0;
    pthread_barrier_wait(&barrier);
    seed += id * 1000;
    unsigned long digest = churn(10000 + id);
    pthread_barrier_wait(&barrier);
    /* every thread has finished churning: its own copy must be unchanged */
    digest ^= (unsigned long)steps << 48;
    return (void *)(uintptr_t)(digest * 2 + (unsigned long)pristine);
}

int main(void)
{
    seed = 1;
    acc = 99;
    pthread_barrier_init(&barrier, NULL, 4);
    pthread_t t[4];
    for (int i = 0; i < 4; i++) pthread_create(&t[i], NULL, worker, (void *)(intptr_t)i);
    for (int i = 0; i < 4; i++) {
        void *ret;
        pthread_join(t[i], &ret);
        unsigned long r = (unsigned long)(uintptr_t)ret;
        printf("thread %d: started pristine %lu, digest %016lx\n", i, r & 1, r >> 1);
    }
    pthread_barrier_destroy(&barrier);
    printf("main: seed %d acc %lu steps %d\n", seed, acc, steps);
    printf("main churn: %016lx\n", churn(5));
    return 0;
}
