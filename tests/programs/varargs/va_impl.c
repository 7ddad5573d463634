/* second object: variadic implementations */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

long sum_ints(int n, ...)
{
    va_list ap;
    long s = 0;
    va_start(ap, n);
    for (int i = 0; i < n; i++) s += va_arg(ap, int);
    va_end(ap);
    return s;
}

double mean_doubles(int n, ...)
{
    va_list ap;
    double s = 0;
    va_start(ap, n);
    for (int i = 0; i < n; i++) s += va_arg(ap, double);
    va_end(ap);
    return s / n;
}

static void vlog(const char *tag, const char *fmt, va_list ap)
{
    printf("[%s] ", tag);
    vprintf(fmt, ap);
    putchar('\n');
}

void log_line(const char *tag, const char *fmt, ...)
{
    va_list ap, ap2;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    vlog(tag, fmt, ap);
    fputs("  again: ", stdout);
    vfprintf(stdout, fmt, ap2);
    fputc('\n', stdout);
    va_end(ap2);
    va_end(ap);
}

int format_twice(char *buf, size_t n, const char *fmt, ...)
{
    va_list ap, ap2;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    int a = vsnprintf(buf, n, fmt, ap);
    size_t used = strlen(buf);
    int b = vsnprintf(buf + used, n - used, fmt, ap2);
    va_end(ap2);
    va_end(ap);
    return a + b;
}
