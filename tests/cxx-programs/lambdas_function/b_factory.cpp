#include "fn.h"

IntFn make_adder(int n)
{
    return [n](int x) { return x + n; };
}

IntFn make_counter()
{
    return [count = 0](int step) mutable {
        count += step;
        return count;
    };
}

IntFn compose(IntFn f, IntFn g)
{
    return [f = std::move(f), g = std::move(g)](int x) { return f(g(x)); };
}
