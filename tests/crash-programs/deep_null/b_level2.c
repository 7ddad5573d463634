int deref(int *p);
int level2(int *p) { return deref(p) * 2; }
