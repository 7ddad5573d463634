/* third object: recurses back into b until deep enough */
#include <stdio.h>
int level_b(int depth, void (*on_bottom)(int));
int level_c(int depth, void (*on_bottom)(int))
{
    printf("c depth %d\n", depth);
    if (depth >= 7) { on_bottom(depth); return -1; }
    return level_b(depth + 1, on_bottom) + 1;
}
