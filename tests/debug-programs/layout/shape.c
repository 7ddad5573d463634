int g_shape = 3;

__attribute__((cold, noinline)) int report(int x) { return x / 2; }

__attribute__((noinline)) int classify(int x) {
  int r = x * g_shape;
  if (x > 1000) {
    r = report(r);
    r = -r;
  }
  return r;
}
