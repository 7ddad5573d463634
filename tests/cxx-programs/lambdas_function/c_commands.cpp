#include "fn.h"

std::map<std::string, IntFn> &command_table()
{
    static std::map<std::string, IntFn> table;
    return table;
}

int plain_square(int x) { return x * x; }

void register_builtin_commands()
{
    std::string suffix = "!";
    command_table()["square"] = plain_square;
    command_table()["negate"] = [](int x) { return -x; };
    command_table()["length"] = [suffix](int x) { return static_cast<int>((std::to_string(x) + suffix).size()); };
}

int apply_all(const std::vector<IntFn> &fns, int seed)
{
    int v = seed;
    for (const auto &f : fns) v = f(v);
    return v;
}
