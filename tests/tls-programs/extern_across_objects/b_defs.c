#include "tls.h"

__thread long totals[8];
static __thread int hidden = 100;

void b_add(int slot, long v) { totals[slot] += v + counter; }

long b_sum(void)
{
    long s = 0;
    for (int i = 0; i < 8; i++) s += totals[i];
    return s;
}

int b_private_bump(void) { return ++hidden; }
