/* archive member that must NOT be extracted: it references a symbol that is
 * defined nowhere. */
extern int symbol_that_does_not_exist_anywhere(int);
int cc_never_used(int x) { return symbol_that_does_not_exist_anywhere(x) + 1; }
