/* The second object: `inner` is inlined into `middle`. */
static inline int inner(int *p)
{
    return *p * 2;
}

__attribute__((noinline)) int middle(int *p)
{
    int value = inner(p);
    return value + 1;
}
