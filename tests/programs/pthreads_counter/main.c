/* Exercises: JIT'd thread entry points passed to host pthread_create (4
 * threads), a mutex-protected global counter in another object, per-thread
 * results returned through pthread_join, and a barrier-free deterministic
 * result (no thread-local storage used). */
#include <pthread.h>
#include <stdio.h>
#include <stdint.h>

struct job { int id; int iterations; unsigned long long local_sum; };
void *worker(void *arg);                  /* worker.c */
extern long shared_counter;               /* worker.c, protected by counter_lock */
extern unsigned long long shared_checksum;
extern pthread_mutex_t counter_lock;

int main(void)
{
    pthread_t th[4];
    struct job jobs[4];
    for (int i = 0; i < 4; i++) {
        jobs[i].id = i;
        jobs[i].iterations = 20000 + i * 5000;
        jobs[i].local_sum = 0;
        if (pthread_create(&th[i], NULL, worker, &jobs[i]) != 0) { puts("pthread_create failed"); return 1; }
    }
    long expected = 0;
    for (int i = 0; i < 4; i++) {
        void *ret = NULL;
        pthread_join(th[i], &ret);
        printf("thread %d joined: returned %ld, local_sum=%llu\n", i, (long)(intptr_t)ret, jobs[i].local_sum);
        expected += jobs[i].iterations;
    }
    pthread_mutex_lock(&counter_lock);
    printf("shared_counter=%ld expected=%ld %s\n", shared_counter, expected,
           shared_counter == expected ? "OK" : "RACE");
    printf("shared_checksum=%llu\n", shared_checksum);
    pthread_mutex_unlock(&counter_lock);
    return 0;
}
