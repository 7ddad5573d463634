/* The attach test's second object: where the debugger's breakpoint goes. */
int work(int n)
{
    int total = 0;
    for (int i = 0; i < n; i++) {
        total += i * i;
    }
    return total;
}
