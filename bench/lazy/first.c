int first_once(int x) { return x * 3; }
