/* archive member: depends on base_weight from ab_base.c (earlier member) */
long base_weight(int i);

long stats_weighted(const int *v, int n)
{
    long s = 0;
    for (int i = 0; i < n; i++) s += v[i] * base_weight(i);
    return s;
}
