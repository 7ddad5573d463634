/* second object: calls abort() after flushing */
#include <stdio.h>
#include <stdlib.h>

void validate_or_die(const int *v, int n)
{
    for (int i = 0; i < n; i++) {
        if (v[i] != i + 1) {
            printf("element %d is %d, expected %d: aborting\n", i, v[i], i + 1);
            fflush(stdout);
            abort();
        }
    }
    printf("validated %d elements\n", n);
}
