/* Exercises: 8 threads at once, each with its own copy of TLS from three
 * objects (.tdata and .tbss, extern and static), started together by a
 * barrier so their lifetimes overlap; per-thread results stored by index
 * and printed after every join; a pthread key destructor reads TLS at thread
 * exit. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>

#define THREADS 8

__thread int my_id = -1;
__thread char name[12] = "unnamed";

void b_record(int value);           /* b_stats.c */
long b_total(void);                 /* b_stats.c */
int b_count(void);                  /* b_stats.c */
unsigned c_hash_name(void);         /* c_name.c */
void c_set_name(int id);            /* c_name.c */

static pthread_barrier_t barrier;
static pthread_key_t key;
static long results[THREADS][3];
static int exit_ids[THREADS];
static int exit_count;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static void at_thread_exit(void *p)
{
    pthread_mutex_lock(&lock);
    exit_ids[exit_count++] = my_id * 100 + (int)(intptr_t)p;
    pthread_mutex_unlock(&lock);
}

static void *worker(void *arg)
{
    int id = (int)(intptr_t)arg;
    long started_unset = my_id == -1 && b_count() == 0;
    my_id = id;
    pthread_setspecific(key, (void *)(intptr_t)(id + 1));
    pthread_barrier_wait(&barrier);
    c_set_name(id);
    for (int i = 0; i <= id * 50; i++) b_record(i % 7 + id);
    pthread_barrier_wait(&barrier);
    results[id][0] = started_unset;
    results[id][1] = b_total() * 1000 + b_count();
    results[id][2] = c_hash_name();
    return NULL;
}

int main(void)
{
    pthread_key_create(&key, at_thread_exit);
    pthread_barrier_init(&barrier, NULL, THREADS);
    pthread_t t[THREADS];
    my_id = 99;
    for (int i = 0; i < THREADS; i++) pthread_create(&t[i], NULL, worker, (void *)(intptr_t)i);
    for (int i = 0; i < THREADS; i++) pthread_join(t[i], NULL);
    for (int i = 0; i < THREADS; i++)
        printf("thread %d: fresh %ld total*1000+count %ld name hash %08lx\n", i, results[i][0], results[i][1],
               (unsigned long)results[i][2]);
    int id_sum = 0;
    for (int i = 0; i < exit_count; i++) id_sum += exit_ids[i];
    printf("key destructors ran %d times, id checksum %d\n", exit_count, id_sum);
    printf("main: id %d name '%s' count %d total %ld\n", my_id, name, b_count(), b_total());
    return 0;
}
