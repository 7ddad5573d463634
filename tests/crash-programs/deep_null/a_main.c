/* A null pointer dereferenced three objects deep. */
#include <stdio.h>
int level2(int *p);
int level1(int *p) { return level2(p) + 1; }
int main(void) { printf("start\n"); fflush(stdout); return level1(0); }
