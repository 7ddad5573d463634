/* Where things land: zero-initialized and initialized globals, string
   literals, a function with a cold part (gcc -O2 moves it to
   .text.unlikely), a C++ template instance in a COMDAT .text._Z... section. */
#include <stdio.h>

int zeroed;
int initialized = 7;
int *pointer_to_shape;
extern int g_shape;
int classify(int x);
int twice_int(int x);

static const char *last;

void show(const char *message) {
  last = message;
  printf("%s %d %d\n", message, zeroed, initialized);
}

int main(void) {
  pointer_to_shape = &g_shape;
  show("hi");
  printf("%d %d\n", classify(3), twice_int(4));
  printf("%d\n", classify(2000));
  return last[0] == 'h' ? 0 : 1;
}
