/* second object: the other halves of the mutual recursions */
int hof_male(int n);
int is_odd(unsigned n);
int hof_female(int n) { return n == 0 ? 1 : n - hof_male(hof_female(n - 1)); }
int is_even(unsigned n) { return n == 0 ? 1 : is_odd(n - 1); }
