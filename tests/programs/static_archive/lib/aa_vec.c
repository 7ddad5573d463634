/* archive member: depends on util_clamp from zz_util.c */
int util_clamp(int x, int lo, int hi);

int vec_dot(const int *a, const int *b, int n)
{
    int s = 0;
    for (int i = 0; i < n; i++) s += a[i] * b[i];
    return s;
}

int vec_sum_clamped(const int *a, int n, int lo, int hi)
{
    int s = 0;
    for (int i = 0; i < n; i++) s += util_clamp(a[i], lo, hi);
    return s;
}
