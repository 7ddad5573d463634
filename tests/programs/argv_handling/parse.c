/* second object: argument classification */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* 0 = word, 1 = number, 2 = --key=value option, 3 = empty */
int classify(const char *arg, long *num)
{
    if (!*arg) return 3;
    if (strncmp(arg, "--", 2) == 0 && strchr(arg, '=')) return 2;
    char *end;
    errno = 0;
    long v = strtol(arg, &end, 10);
    if (*end == 0 && errno == 0) { *num = v; return 1; }
    return 0;
}
