/* broken.o's first call cannot link: it needs a symbol nothing defines. */
#include <stdio.h>

int uses_missing(int x);

int main(void)
{
    printf("before the first call\n");
    fflush(stdout);
    return uses_missing(1);
}
