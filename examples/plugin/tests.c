/* Tests for the `test_registry` example plugin (examples/test_registry.rs).
 *
 * LANTERN_TEST(name) defines `static int name(void)` and records it in the
 * non-allocated section `.lantern_tests`: the function's address (an
 * R_X86_64_64 relocation, fixed up by Lantern) followed by its name,
 * NUL-terminated. No code runs to register a test: the plugin reads the
 * section when the unit is linked. */
#define LANTERN_TEST(name)                                                  \
    static int name(void) __attribute__((used));                            \
    __asm__(".pushsection .lantern_tests,\"\",@progbits\n\t.quad " #name     \
            "\n\t.asciz \"" #name "\"\n\t.popsection");                      \
    static int name(void)

static int square(int x) { return x * x; }

LANTERN_TEST(squares_are_positive) {
    for (int i = -3; i <= 3; i++)
        if (square(i) < 0)
            return 1;
    return 0;
}

LANTERN_TEST(nine_is_three_squared) {
    return square(3) == 9 ? 0 : 1;
}

LANTERN_TEST(four_is_five_squared) {
    return square(5) == 4 ? 0 : 1;
}
