/* second object: functions taking VLA parameters / raw buffers */
#include <stddef.h>

long matrix_trace_product(int n, int m, double a[n][m], double b[m][n])
{
    double tr = 0;
    for (int i = 0; i < n; i++)
        for (int k = 0; k < m; k++) tr += a[i][k] * b[k][i];
    return (long)(tr * 4);
}

unsigned checksum_bytes(const unsigned char *p, size_t n)
{
    unsigned h = 2166136261u;
    for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 16777619u;
    return h;
}
