/* The debugger sessions of bench/cost-bench.sh break in this main. */
#include <stdio.h>

int main(void) {
    puts("hello, world");
    return 0;
}
