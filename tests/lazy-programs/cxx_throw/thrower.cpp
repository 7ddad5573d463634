// Linked lazily: its first call (which throws) goes through the trampoline.
#include <stdexcept>
#include <string>

int parse_positive(int x) {
    if (x < 0)
        throw std::invalid_argument("negative: " + std::to_string(x));
    return x * 10;
}

int checked_sum(int a, int b) {
    int r;
    if (__builtin_add_overflow(a, b, &r))
        throw std::overflow_error("sum overflows");
    return r;
}
