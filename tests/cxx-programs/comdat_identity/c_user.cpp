#include "gen_addresses.h"

Addresses addresses_from_c() { return local_addresses(); }

int use_from_c(int x)
{
    Holder<long> h(x);
    inline_counter();
    inline_counter();
    return static_cast<int>(tmpl<double>(x * 0.5)) + static_cast<int>(h.value) + inline_var;
}

Poly *make_child_in_c() { return new PolyChild; }
