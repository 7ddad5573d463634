#include <stdio.h>

extern int counter;
int compute(int n);

struct pair {
    int left;
    int right;
};

static int combine(struct pair p) {
    int mixed = p.left * 10 + p.right;
    return mixed;
}

int main(void) {
    struct pair p = {3, 4};
    int result = compute(4);
    printf("compute(4) = %d, counter = %d\n", result, counter);
    printf("combine = %d\n", combine(p));
    return result % 5;
}
