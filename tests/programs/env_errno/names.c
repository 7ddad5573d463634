/* second object: reads errno (thread-local in libc, via __errno_location) */
#include <errno.h>
#include <stdio.h>

const char *errno_name(int e)
{
    switch (e) {
    case 0: return "0";
    case ERANGE: return "ERANGE";
    case ENOENT: return "ENOENT";
    case EBADF: return "EBADF";
    case EINVAL: return "EINVAL";
    default: return "other";
    }
}

void report(FILE *out, const char *what)
{
    int e = errno;
    fprintf(out, "  %s: errno=%s (%d)\n", what, errno_name(e), e);
}
