#include <mutex>
#include <stdexcept>
#include <string>

static std::once_flag flag;
static int runs = 0;
static int value = 0;

int expensive_setup(int caller)
{
    std::call_once(flag, [caller] {
        runs++;
        value = 4000 + (caller >= 0 ? 1 : 0);
    });
    return value;
}

int setup_runs() { return runs; }

int compute(int id)
{
    if (id % 4 == 3) throw std::runtime_error("compute(" + std::to_string(id) + ") failed");
    return id * id + expensive_setup(-1);
}
