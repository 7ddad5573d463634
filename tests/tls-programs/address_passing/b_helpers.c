extern __thread int slots[16];
extern __thread long owner_value;

int *b_slot_address(int i) { return &slots[i]; }
long *b_owner_address(void) { return &owner_value; }

void b_fill(int *base, int n, int step)
{
    for (int i = 0; i < n; i++) base[i] = (i + 1) * step;
}

long b_sum(const int *p, int n)
{
    long s = 0;
    for (int i = 0; i < n; i++) s += p[i];
    return s;
}

void b_store(long *where, long v) { *where = v; }
