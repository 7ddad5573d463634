/* archive member that must NOT be extracted: main_helper is also defined in
 * main.c, so extracting it would give a duplicate definition. */
int main_helper(int x) { return -x; }
int bb_never_used(void) { return 1; }
