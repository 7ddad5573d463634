/* Exercises: variadic functions defined in JIT'd code (va_list, va_arg with
 * ints/doubles/pointers, va_copy) called across objects, and passing a
 * va_list on to host vprintf / vsnprintf / vfprintf(stdout). */
#include <stdarg.h>
#include <stdio.h>

long sum_ints(int n, ...);
double mean_doubles(int n, ...);
void log_line(const char *tag, const char *fmt, ...);
int format_twice(char *buf, size_t n, const char *fmt, ...);

static long mixed(const char *spec, ...)
{
    va_list ap;
    long acc = 0;
    va_start(ap, spec);
    for (const char *p = spec; *p; p++) {
        switch (*p) {
        case 'i': acc += va_arg(ap, int); break;
        case 'l': acc += va_arg(ap, long); break;
        case 'd': acc += (long)(va_arg(ap, double) * 100.0); break;
        case 's': { const char *s = va_arg(ap, const char *); while (*s) acc += *s++; break; }
        }
    }
    va_end(ap);
    return acc;
}

int main(void)
{
    char buf[128];
    printf("sum_ints=%ld\n", sum_ints(10, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10));
    printf("sum_ints(many)=%ld\n", sum_ints(14, 100, -1, 200, -2, 300, -3, 400, -4, 500, -5, 600, -6, 700, -7));
    printf("mean=%.4f\n", mean_doubles(9, 1.5, 2.5, 3.25, 4.0, 5.125, 6.0, 7.75, 8.5, 9.875));
    printf("mixed=%ld\n", mixed("ilds ilds", 1, 2L, 0.5, "ab", 10, 20L, 1.25, "xyz"));
    log_line("INFO", "%d apples and %s for %.2f", 3, "pears", 4.5);
    log_line("WARN", "%c%c%c %lu %x", 'a', 'b', 'c', 123456789UL, 0xdeadu);
    int n = format_twice(buf, sizeof buf, "[%05d|%-6s|%+.3e]", 77, "va", 12345.678);
    printf("format_twice -> %d: %s\n", n, buf);
    return 0;
}
