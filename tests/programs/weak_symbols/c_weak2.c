/* a second weak definition of double_weak: a_main.c's comes first in link
 * order, so the linker must keep that one */
__attribute__((weak)) int double_weak(void) { return 2; }
int c_double_weak(void) { return double_weak() * 10; }
