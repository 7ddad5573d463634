#include <stdio.h>

int fact(int n);

int compute(int n) {
  int result = fact(n);
  return result;
}

int main(void) {
  printf("%d\n", compute(4));
  return 0;
}
