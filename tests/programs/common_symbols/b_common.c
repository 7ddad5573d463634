/* second object: same COMMON symbols, one with a larger size */
int counter;
double common_buf[512];
char varsize[64];
int aligned_common;

void b_bump(int n) { counter += n * 10; }

double b_fill(void)
{
    double s = 0;
    for (int i = 0; i < 512; i++) { common_buf[i] = i * 0.5; s += common_buf[i]; }
    return s;
}

void b_fill_varsize(void)
{
    for (int i = 0; i < 63; i++) varsize[i] = (char)('a' + i % 26);
    varsize[63] = 0;
}
