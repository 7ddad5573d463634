/* Exercises: the address of a TLS variable taken and passed around: to a
 * function in another object, stored in a global, compared with the address
 * another object computes for the same variable (same thread: equal; other
 * thread: different), written through by another thread (which changes the
 * owner's copy only), and pointer arithmetic inside a TLS array. */
#include <pthread.h>
#include <stdio.h>

__thread int slots[16] = { [0] = 1, [15] = 15 };
__thread long owner_value = 1000;
long *published;                 /* &owner_value of some thread */

int *b_slot_address(int i);      /* b_helpers.c: &slots[i] as b sees it */
long *b_owner_address(void);     /* b_helpers.c */
void b_fill(int *base, int n, int step);
long b_sum(const int *p, int n);
void b_store(long *where, long v);

static void *poke(void *arg)
{
    long *main_copy = arg;
    long *mine = b_owner_address();
    printf("thread: own address differs from main's %d, equals &owner_value %d\n", mine != main_copy,
           mine == &owner_value);
    b_store(main_copy, *main_copy + 1);          /* writes main's copy */
    b_store(published, *published + 10);         /* main's copy again, via the global */
    *mine = -7;                                  /* only this thread's copy */
    printf("thread: own value %ld, own slots sum %ld\n", owner_value, b_sum(slots, 16));
    return NULL;
}

int main(void)
{
    int *p = &slots[0];
    printf("main: &slots[3] agrees %d, &owner_value agrees %d\n", b_slot_address(3) == p + 3,
           b_owner_address() == &owner_value);
    b_fill(p + 1, 14, 3);
    printf("main: slots sum %ld (first %d last %d)\n", b_sum(p, 16), slots[0], slots[15]);
    published = &owner_value;
    pthread_t t;
    pthread_create(&t, NULL, poke, &owner_value);
    pthread_join(t, NULL);
    printf("main: owner_value %ld after the thread wrote through its address\n", owner_value);
    long local_sum = 0;
    for (int *q = slots; q < slots + 16; q++) local_sum += *q;
    printf("main: slots walked by pointer %ld\n", local_sum);
    return 0;
}
