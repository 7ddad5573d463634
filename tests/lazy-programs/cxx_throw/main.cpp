// The first call of a lazy function throws: the exception unwinds from the
// implementation to the caller (no trampoline frame is left on the stack).
#include <cstdio>
#include <stdexcept>

int parse_positive(int x);
int checked_sum(int a, int b);

int main() {
    for (int x : {5, -1, 7, -3}) {
        try {
            std::printf("parse_positive(%d) = %d\n", x, parse_positive(x));
        } catch (const std::invalid_argument &e) {
            std::printf("caught invalid_argument: %s\n", e.what());
        }
    }
    try {
        checked_sum(2147483647, 1);
    } catch (const std::overflow_error &e) {
        std::printf("caught overflow_error: %s\n", e.what());
    }
    std::printf("checked_sum(2, 3) = %d\n", checked_sum(2, 3));
    return 0;
}
