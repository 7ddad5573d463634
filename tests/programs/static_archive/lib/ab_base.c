/* archive member: only needed by mm_stats.c (which comes later) */
int ab_base_calls;

long base_weight(int i) { ab_base_calls++; return (long)(i + 1) * 100; }
