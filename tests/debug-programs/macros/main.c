#include <stdio.h>
#include "geometry.h"

#define LOCAL_ONLY 42

int main(void) {
  int a = area_of(2, 5);
  int p = perimeter_of(2, 5);
  printf("%s %d %d %d\n", GREETING, a, p, LOCAL_ONLY);
  return a == AREA(2, 5) ? 0 : 1;
}
