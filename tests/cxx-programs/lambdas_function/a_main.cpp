// Exercises: lambdas and std::function across objects: closures with
// by-value and by-reference captures returned from another object, a mutable
// counter closure, composition, a command table of std::function filled in
// another object, a plain function pointer stored in std::function,
// std::bind, a generic lambda, recursion through std::function, and
// std::bad_function_call from an empty std::function.
#include <cstdio>
#include <functional>
#include "fn.h"

int main()
{
    IntFn add5 = make_adder(5), add10 = make_adder(10);
    std::printf("add5(1)=%d add10(1)=%d\n", add5(1), add10(1));
    IntFn counter = make_counter();
    int c1 = counter(1), c2 = counter(1), c3 = counter(5);
    std::printf("counter: %d %d %d\n", c1, c2, c3);
    IntFn copy = counter; // copies the state
    int c4 = copy(0), c5 = counter(0);
    std::printf("copy %d original %d\n", c4, c5);
    IntFn sq_then_add = compose(add5, plain_square);
    std::printf("compose(add5, square)(7) = %d\n", sq_then_add(7));

    register_builtin_commands();
    int scale = 3;
    command_table()["scale"] = [&scale](int x) { return x * scale; };
    scale = 4; // captured by reference: seen at call time
    for (const auto &kv : command_table()) std::printf("command %-7s(6) = %d\n", kv.first.c_str(), kv.second(6));

    auto generic = [](auto a, auto b) { return a * b; };
    std::printf("generic: %d %.2f\n", generic(6, 7), generic(1.5, 2.5));
    using namespace std::placeholders;
    auto minus = [](int a, int b) { return a - b; };
    IntFn minus_from_100 = std::bind(minus, 100, _1);
    IntFn minus_100 = std::bind(minus, _1, 100);
    std::printf("bind: %d %d\n", minus_from_100(1), minus_100(1));
    std::function<long(int)> fact = [&fact](int n) -> long { return n <= 1 ? 1 : n * fact(n - 1); };
    std::printf("fact(15) = %ld\n", fact(15));
    std::vector<IntFn> chain = {add5, plain_square, make_adder(-3), counter, [](int x) { return x / 2; }};
    std::printf("apply_all = %d\n", apply_all(chain, 2));
    IntFn empty;
    try {
        empty(1);
    } catch (const std::bad_function_call &e) {
        std::printf("bad_function_call caught: %s\n", empty ? "non-empty?" : "empty");
    }
    return 0;
}
