/* An assertion that fails: abort() from JIT'd code. */
#include <assert.h>
#include <stdio.h>

static int check(int x)
{
    assert(x < 3);
    return x * 2;
}

int main(void)
{
    int sum = 0;
    for (int i = 0; i < 5; i++) {
        sum += check(i);
        printf("checked %d\n", i);
        fflush(stdout);
    }
    return sum;
}
