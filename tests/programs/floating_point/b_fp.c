/* second object: FP helpers with various argument/return conventions */
#include <complex.h>
#include <math.h>

double poly_eval(const double *c, int n, double x)
{
    double r = 0;
    for (int i = n - 1; i >= 0; i--) r = r * x + c[i];
    return r;
}

float saxpy_sum(float a, const float *x, const float *y, int n)
{
    float s = 0;
    for (int i = 0; i < n; i++) s += a * x[i] + y[i];
    return s;
}

long double ld_series(int terms)            /* sum 1/k^2 -> pi^2/6 */
{
    long double s = 0;
    for (int k = terms; k >= 1; k--) s += 1.0L / ((long double)k * k);
    return s;
}

double complex c_rotate(double complex z, double angle)
{
    return z * cexp(I * angle);
}

double q_ops(double a, double b)            /* __float128 via libgcc soft-fp */
{
    __float128 qa = a, qb = b;
    __float128 r = (qa * qb + qa / qb) - qb * qb;
    r = r / 3;
    return (double)r;
}
