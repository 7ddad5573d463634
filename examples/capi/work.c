/* Code a C host links at run time with liblantern (see embed.c). */
#include <stdio.h>

static int calls;

__attribute__((constructor)) static void setup(void) {
    printf("work.c: initialized\n");
}

__attribute__((destructor)) static void teardown(void) {
    printf("work.c: finalized after %d call(s)\n", calls);
}

int scale(int x, int factor) {
    int scaled = x * factor;
    return scaled;
}

int work(int n) {
    calls++;
    int doubled = scale(n, 2);
    return doubled + 1;
}
