/* An integer division by zero: SIGFPE. */
#include <stdio.h>

__attribute__((noinline)) int divide(int a, int b)
{
    return a / b;
}

int main(int argc, char **argv)
{
    (void)argv;
    printf("dividing\n");
    fflush(stdout);
    return divide(10, argc - 1);
}
