// The second object: the static constructor and the function that throws.
#include <stdexcept>

#include "registry.h"

Registry registry;

Registry::Registry()
{
    names.push_back("boot");
}

void Registry::add(const std::string &name)
{
    names.push_back(name);
}

int checked_div(int a, int b)
{
    if (b == 0) {
        throw std::invalid_argument("division by zero");
    }
    return a / b;
}
