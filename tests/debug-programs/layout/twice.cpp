template <class T> __attribute__((noinline)) T twice(T x) { return x + x; }

extern "C" int twice_int(int x) { return twice(x); }
