/* Exercises: host libc state shared with JIT'd code: setenv/getenv/unsetenv on
 * variables the program sets itself, errno (via __errno_location) after
 * failing calls (strtol overflow, fopen of a missing file, strtod, bad fd
 * close), and the host data objects stdout/stderr. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *errno_name(int e);              /* names.c */
void report(FILE *out, const char *what);   /* names.c: prints errno_name(errno) */

int main(void)
{
    unsetenv("LANTERN_TEST_VAR");
    printf("before setenv: %s\n", getenv("LANTERN_TEST_VAR") ? "set" : "unset");
    setenv("LANTERN_TEST_VAR", "jit-linked-value", 1);
    printf("after setenv: %s\n", getenv("LANTERN_TEST_VAR"));
    setenv("LANTERN_TEST_VAR", "ignored", 0);
    printf("no-overwrite: %s\n", getenv("LANTERN_TEST_VAR"));
    setenv("LANTERN_TEST_VAR", "overwritten", 1);
    printf("overwrite: %s\n", getenv("LANTERN_TEST_VAR"));
    unsetenv("LANTERN_TEST_VAR");
    printf("after unsetenv: %s\n", getenv("LANTERN_TEST_VAR") ? "set" : "unset");

    errno = 0;
    long v = strtol("99999999999999999999999", NULL, 10);
    printf("strtol overflow: value is LONG_MAX: %d\n", v == 0x7fffffffffffffffL);
    report(stdout, "strtol");
    errno = 0;
    v = strtol("-12345xyz", NULL, 10);
    printf("strtol ok: %ld\n", v);
    report(stdout, "strtol ok");
    errno = 0;
    FILE *f = fopen("/nonexistent-dir-for-lantern/missing.txt", "r");
    printf("fopen returned %s\n", f ? "a file?!" : "NULL");
    report(stdout, "fopen");
    errno = 0;
    double d = strtod("1e999", NULL);
    printf("strtod huge: inf=%d\n", d > 1e308);
    report(stdout, "strtod");
    errno = 0;
    int rc = close(-1);
    printf("close(-1)=%d\n", rc);
    report(stdout, "close");
    printf("strerror(ENOENT)=%s\n", strerror(ENOENT));
    errno = EINVAL;
    report(stderr, "to stderr");            /* not compared */
    fprintf(stdout, "stdout fileno=%d stderr fileno=%d\n", fileno(stdout), fileno(stderr));
    return 0;
}
