/* second object: square 'implementations', three of them deliberately wrong */
#include <stdio.h>
typedef int (*sq_fn)(int);
static int good(int x) { return x * x; }
static int off_by_one(int x) { return x * x + 1; }
static int doubled(int x) { return 2 * x; }
static const sq_fn impls[10] = { good, good, good, off_by_one, good, good, doubled, good, off_by_one, good };

int count_failures(const int *expected, int n)
{
    int fails = 0;
    for (int i = 0; i < n; i++) {
        int got = impls[i](i + 1);
        printf("check %d: got %d expected %d %s\n", i + 1, got, expected[i], got == expected[i] ? "ok" : "FAIL");
        fails += got != expected[i];
    }
    return fails;
}
