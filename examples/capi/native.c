/* work.c linked natively, for comparing debugger sessions with embed.c's. */
#include <stdio.h>
#include <stdlib.h>

int work(int n);

int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 21;
    printf("work(%d) = %d\n", n, work(n));
    return 0;
}
