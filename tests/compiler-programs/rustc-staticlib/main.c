#include <stdio.h>

extern int rs_summarize(int n);
extern int RS_CALLS;

static int twice(int n) { return rs_summarize(n) + rs_summarize(n + 2); }

int main(void) {
    int a = twice(2);
    int b = rs_summarize(6);
    /* Rust's stdout is its own buffer: flush C's after it, as written. */
    fflush(stdout);
    printf("c: %d %d calls=%d\n", a, b, RS_CALLS);
    return RS_CALLS;
}
