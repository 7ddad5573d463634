/* level 1 of a member chain */
long ff_level2(int);
long ee_level1(int x) { return ff_level2(x + 1) * 2; }
