/* Exercises: TLS variables aligned beyond 64 bytes (128, 256 and a 4096-byte
 * aligned page), in .tdata and .tbss, next to ordinary ones; their
 * alignment and contents are checked in main and in two threads (the TLS
 * block of every thread must honour the largest alignment). */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

__thread char before = 'b';
__thread int a128[4] __attribute__((aligned(128))) = { 1, 2, 3, 4 };
__thread char a256[5] __attribute__((aligned(256)));
__thread unsigned char page[4096] __attribute__((aligned(4096)));
__thread short after = 7;

unsigned long digest(void); /* b_digest.c */

static void report(const char *who)
{
    printf("%-7s align128 %d align256 %d align4096 %d before %c after %d a128[3] %d digest %016lx\n", who,
           (int)((uintptr_t)a128 % 128), (int)((uintptr_t)a256 % 256), (int)((uintptr_t)page % 4096), before,
           after, a128[3], digest());
}

static void *worker(void *arg)
{
    report((const char *)arg);
    memset(page, 0x5a, sizeof page);
    a256[4] = 'z';
    a128[3] *= 10;
    report((const char *)arg);
    return NULL;
}

int main(void)
{
    report("main");
    page[100] = 1;
    after = 8;
    pthread_t t;
    pthread_create(&t, NULL, worker, "first");
    pthread_join(t, NULL);
    pthread_create(&t, NULL, worker, "second");
    pthread_join(t, NULL);
    report("main");
    return 0;
}
