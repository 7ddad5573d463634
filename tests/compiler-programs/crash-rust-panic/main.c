#include <stdio.h>

extern int rs_check(int value);

int main(void) {
    printf("rs_check(2) = %d\n", rs_check(2));
    fflush(stdout);
    printf("rs_check(4) = %d\n", rs_check(4));
    return 0;
}
