#include <stdio.h>

/* Defined in poke.asm: a plain nasm `global`, so STT_NOTYPE with size 0. */
extern void poke(long *where, long value);

static long slot;

static void store(long *where, long value) {
    poke(where, value);
}

int main(void) {
    store(&slot, 1);
    printf("stored %ld\n", slot);
    fflush(stdout);
    store(NULL, 2);
    return 0;
}
