/* second object: thread body and mutex-protected shared state */
#include <pthread.h>
#include <stdint.h>

struct job { int id; int iterations; unsigned long long local_sum; };
long shared_counter;
unsigned long long shared_checksum;          /* order-independent (sum) */
pthread_mutex_t counter_lock = PTHREAD_MUTEX_INITIALIZER;

void *worker(void *arg)
{
    struct job *j = arg;
    unsigned long long x = (unsigned long long)j->id * 2654435761u + 1;
    for (int i = 0; i < j->iterations; i++) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        j->local_sum += x >> 40;
        pthread_mutex_lock(&counter_lock);
        shared_counter++;
        shared_checksum += x >> 48;
        pthread_mutex_unlock(&counter_lock);
    }
    return (void *)(intptr_t)(j->id * 100 + j->iterations / 1000);
}
