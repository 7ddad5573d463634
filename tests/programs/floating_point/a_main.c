/* Exercises: floating point across objects: double/float/long double
 * arguments and returns (SSE and x87 conventions), calls into libm (sin, cos,
 * sqrt, pow, exp, log, atan2, fmod, frexp, ...), complex.h arithmetic (which
 * calls libgcc __muldc3/__divdc3), __float128 soft-float helpers from
 * libgcc, and float constants in .rodata.cst* pools. */
#include <complex.h>
#include <math.h>
#include <stdio.h>

double poly_eval(const double *c, int n, double x);
float  saxpy_sum(float a, const float *x, const float *y, int n);
long double ld_series(int terms);
double complex c_rotate(double complex z, double angle);
double q_ops(double a, double b);

static volatile double vin[] = { 0.5, 1.25, 2.0, -3.75, 10.0 };

int main(void)
{
    for (int i = 0; i < 5; i++) {
        double x = vin[i];
        printf("x=%-6g sin=%.12f cos=%.12f exp=%.10g sqrt|x|=%.12f\n",
               x, sin(x), cos(x), exp(x), sqrt(fabs(x)));
    }
    printf("pow(2.5,3.5)=%.12g log(10)=%.12g atan2(1,-1)=%.12g\n", pow(vin[1] * 2, vin[1] * 2.8),
           log(vin[4]), atan2(vin[2] / 2, -vin[2] / 2));
    int e;
    double m = frexp(vin[4] * 100.0, &e);
    printf("frexp(1000)=%.6f*2^%d fmod=%.6f floor=%.1f ceil=%.1f round=%.1f\n", m, e,
           fmod(vin[4], vin[3]), floor(vin[3]), ceil(vin[3]), round(vin[3]));
    printf("isinf=%d isnan=%d hypot=%.10g cbrt=%.10g\n", isinf(vin[4] / (vin[0] - 0.5)),
           isnan(sqrt(vin[3])), hypot(vin[2], vin[1]), cbrt(vin[4] * 2.7));
    double coef[] = { 1.0, -2.0, 0.5, 3.0 };
    printf("poly_eval=%.10g\n", poly_eval(coef, 4, vin[1]));
    float xs[] = { 1.5f, 2.5f, 3.5f, 4.5f }, ys[] = { 0.25f, 0.5f, 0.75f, 1.0f };
    printf("saxpy_sum=%.6f sinf=%.6f sqrtf=%.6f\n", (double)saxpy_sum(2.0f, xs, ys, 4),
           (double)sinf((float)vin[0]), (double)sqrtf((float)vin[4]));
    long double ld = ld_series(30);
    printf("ld_series=%.15Lf sqrtl(2)=%.15Lf\n", ld, sqrtl(2.0L * (long double)vin[0] * 2.0L));
    double complex z = vin[2] + vin[1] * I;
    double complex w = z * (vin[3] - vin[0] * I);
    double complex q = z / (vin[0] + vin[2] * I);
    printf("z*w=(%.6f,%.6f) z/d=(%.6f,%.6f) |z|=%.6f arg=%.6f\n", creal(w), cimag(w),
           creal(q), cimag(q), cabs(z), carg(z));
    double complex r = c_rotate(z, vin[0]);
    double complex s = csqrt(vin[3] + 0.0 * I);
    printf("rotate=(%.6f,%.6f) csqrt(-3.75)=(%.6f,%.6f) cexp=(%.6f,%.6f)\n", creal(r), cimag(r),
           creal(s), cimag(s), creal(cexp(z)), cimag(cexp(z)));
    printf("q_ops=%.10f\n", q_ops(vin[4], vin[1]));
    unsigned long long big = 18000000000000000000ull;
    volatile double bd = (double)big;
    printf("u64->double=%.1f back=%llu int=%d\n", bd, (unsigned long long)bd, (int)(vin[3] * 3));
    return 0;
}
