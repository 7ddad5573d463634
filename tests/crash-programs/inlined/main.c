/* A crash in a function inlined into its caller (at -O2), two objects deep. */
#include <stdio.h>

int middle(int *p);

int main(void)
{
    printf("calling\n");
    fflush(stdout);
    return middle(0) + 1;
}
