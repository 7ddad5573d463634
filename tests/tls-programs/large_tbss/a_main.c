/* Exercises: large TLS blocks: a 4 KiB and a 64 KiB .tbss array, a 2 KiB
 * .tdata array with a non-zero pattern, variables aligned to 32 and 64
 * bytes (alignment checked in every thread), filled in main and checked in
 * 3 threads, each of which must see zeroes and the pristine pattern. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>

#define SMALL 1024      /* ints: 4 KiB */
#define BIG (64 * 1024) /* bytes: 64 KiB */

__thread int small_buf[SMALL];
__thread unsigned char big_buf[BIG];
__thread int pattern[512] = { 1, 2, 3, 4, 5, 6, 7, 8, [100] = 100, [511] = 511 };
__thread long aligned64 __attribute__((aligned(64))) = 64;
__thread char aligned32[3] __attribute__((aligned(32)));

unsigned long checksum_tls(void);   /* b_check.c */
void fill_tls(int seed);            /* b_check.c */

static void report(const char *who)
{
    printf("%-8s sum %lu align64 %d align32 %d aligned64=%ld pattern[100]=%d pattern[511]=%d\n", who,
           checksum_tls(), (int)((uintptr_t)&aligned64 % 64), (int)((uintptr_t)aligned32 % 32), aligned64,
           pattern[100], pattern[511]);
}

static void *worker(void *arg)
{
    int id = (int)(intptr_t)arg;
    char name[16];
    snprintf(name, sizeof name, "thread%d", id);
    report(name);
    fill_tls(id * 7);
    report(name);
    return NULL;
}

int main(void)
{
    report("main");
    fill_tls(1);
    report("main");
    pthread_t t[3];
    for (int i = 0; i < 3; i++) {
        pthread_create(&t[i], NULL, worker, (void *)(intptr_t)(i + 1));
        pthread_join(t[i], NULL);
    }
    report("main");
    return 0;
}
