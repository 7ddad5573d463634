#include <stdio.h>

/* Compiled by tcc: frame pointers, no .eh_frame, stabs instead of DWARF. */
static int deref(int *p) {
    return *p + 1;
}

static int level1(int *p) {
    int value = deref(p);
    return value * 2;
}

int main(void) {
    int x = 20;
    printf("level1 = %d\n", level1(&x));
    fflush(stdout);
    printf("level1 = %d\n", level1(NULL));
    return 0;
}
