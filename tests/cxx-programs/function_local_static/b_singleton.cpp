#include "shared.h"

Noisy &singleton()
{
    static Noisy the_one("singleton");
    return the_one;
}

int use_from_b()
{
    Noisy &s = shared_instance();
    s.uses += 10;
    singleton().uses++;
    per_instantiation<1>();
    return s.uses;
}

Noisy *shared_seen_by_b() { return &shared_instance(); }
