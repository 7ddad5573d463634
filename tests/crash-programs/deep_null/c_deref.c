int deref(int *p) { return *p + 3; }
