#include "gen_addresses.h"

Addresses addresses_from_b() { return local_addresses(); }

int use_from_b(int x)
{
    Holder<long> h1(x), h2(x + 1);
    inline_counter();
    return inline_fn(x) + tmpl<int>(x) + static_cast<int>(h1.value + h2.value) + inline_var;
}
