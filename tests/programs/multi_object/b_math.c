/* second object: math helpers, owns table_b and counter_shared */
int table_b[8] = { 1, 2, 3, 5, 8, 13, 21, 34 };
long counter_shared = 5;

static int helper(int x) { return x * 3; }
static int scale(int x) { return x * 10; }

int b_sum(const int *v, int n)
{
    int s = 0;
    for (int i = 0; i < n; i++)
        s += helper(v[i]);          /* triples */
    return s / 3;
}

int b_apply(int (*fn)(int), int x)
{
    return scale(fn(x));            /* calls back via pointer from main */
}
