/* second object */
#include <stdio.h>
int level_c(int depth, void (*on_bottom)(int));
int level_b(int depth, void (*on_bottom)(int))
{
    printf("b depth %d\n", depth);
    return level_c(depth + 1, on_bottom) + 1;
}
