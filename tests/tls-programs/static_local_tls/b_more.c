static __thread int hits;

int b_calls(void)
{
    static __thread int calls = 0;
    return ++calls;
}

static int ticket(void)
{
    static __thread int next = 5000;
    next += 5;
    return next;
}

int b_ticket(void) { return ticket(); }

unsigned long b_fib_memo(int n)
{
    static __thread unsigned long memo[100];
    if (n < 2) return (unsigned long)n;
    if (memo[n]) {
        hits++;
        return memo[n];
    }
    return memo[n] = b_fib_memo(n - 1) + b_fib_memo(n - 2);
}

int b_memo_hits(void) { return hits; }
