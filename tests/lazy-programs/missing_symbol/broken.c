int no_such_function(int);
int uses_missing(int x) { return no_such_function(x) + 1; }
