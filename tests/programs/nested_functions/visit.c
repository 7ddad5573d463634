/* second object: calls the trampolines it receives */
int for_each_int(const int *v, int n, void (*fn)(int))
{
    for (int i = 0; i < n; i++) fn(v[i]);
    return n;
}

void run_callback(void (*cb)(void))
{
    cb();
}
