extern __thread int seed;
extern __thread unsigned long acc;
extern __thread int steps;

static unsigned next(void)
{
    seed = (int)((unsigned)seed * 1103515245u + 12345u);
    return (unsigned)seed >> 8;
}

unsigned long churn(int rounds)
{
    for (int i = 0; i < rounds; i++) {
        acc = acc * 6364136223846793005UL + next();
        steps++;
    }
    return acc;
}
