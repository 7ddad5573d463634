/* Unbounded recursion: the stack overflows (the handler runs on its own stack). */
#include <stdio.h>

__attribute__((noinline)) int recurse(int n)
{
    volatile char buffer[512];
    buffer[n % 512] = (char)n;
    return recurse(n + 1) + buffer[(n + 1) % 512];
}

int main(void)
{
    printf("recursing\n");
    fflush(stdout);
    return recurse(0);
}
