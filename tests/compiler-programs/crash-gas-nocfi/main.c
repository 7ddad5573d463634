#include <stdio.h>

/* Defined in scale.s: no .type, no .size, no CFI, no debug information. */
extern long scale_into(long *out, long value);

int main(void) {
    long result = 0;
    scale_into(&result, 7);
    printf("scaled %ld\n", result);
    fflush(stdout);
    scale_into(NULL, 8);
    return 0;
}
