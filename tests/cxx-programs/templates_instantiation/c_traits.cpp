#include <sstream>
#include <utility>
#include "matrix.h"

std::string TypeName<double>::get() { return "double"; }
std::string TypeName<long>::get() { return "long"; }

template <typename... Ts> std::string join(const Ts &...xs)
{
    std::ostringstream os;
    int n = 0;
    ((os << (n++ ? "," : "") << xs), ...);
    return os.str();
}
template std::string join(const int &, const int &, const int &);
template std::string join(const std::string &, const double &, const char &);

template <long Base, int Exp> struct Power {
    static constexpr long value = Base * Power<Base, Exp - 1>::value;
};
template <long Base> struct Power<Base, 0> {
    static constexpr long value = 1;
};

template <int... Exps> static long table(std::integer_sequence<int, Exps...>)
{
    return ((Power<3, Exps>::value * (Exps + 1)) + ...);
}

long power_table_checksum() { return table(std::make_integer_sequence<int, 20>{}); }
