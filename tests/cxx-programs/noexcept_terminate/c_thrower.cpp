#include <stdexcept>
#include <string>

int thrower(int v)
{
    if (v % 2 == 1) throw std::runtime_error("odd argument " + std::to_string(v));
    return v + 40;
}
