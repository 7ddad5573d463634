/* Linked lazily; takes the address of its own function. */
int square(int x) { return x * x; }
int cube(int x) { return x * x * x; }
int (*square_as_seen_by_ops(void))(int) { return square; }
int apply_twice(int (*f)(int), int x) { return f(f(x)); }
