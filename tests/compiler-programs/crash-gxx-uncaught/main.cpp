// An exception no frame catches: natively the unwinder reaches the end of
// the stack, std::terminate prints the exception, and the program aborts.
#include <cstdio>
#include <stdexcept>
#include <string>

__attribute__((noinline)) int check(int value) {
    if (value > 2) throw std::runtime_error("value " + std::to_string(value) + " is too large");
    return value * 10;
}

__attribute__((noinline)) int run(int n) {
    int sum = 0;
    for (int i = 0; i <= n; i++) sum += check(i);
    return sum;
}

int main() {
    std::printf("run(2) = %d\n", run(2));
    std::fflush(stdout);
    std::printf("run(4) = %d\n", run(4));
    return 0;
}
