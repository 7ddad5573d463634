#include "parts.h"

struct Slot {
    Part part;
    static int next;
    static int fail_at;
    Slot() : part("slot" + std::to_string(next), next == fail_at) { next++; }
};
int Slot::next = 0;
int Slot::fail_at = -1;

Fleet::Fleet(int fail_at) try : parts(nullptr)
{
    Slot::next = 0;
    Slot::fail_at = fail_at;
    Slot *slots = new Slot[4];
    std::printf("  4 slots built\n");
    delete[] slots;
} catch (const std::string &what) {
    std::printf("  Fleet function-try-block saw '%s'\n", what.c_str());
    // rethrown implicitly at the end of a constructor's handler
}

Fleet::~Fleet() { std::printf("  ~Fleet\n"); }

static int attempts = 0;

static int compute(bool fail)
{
    attempts++;
    if (fail) throw std::string("initializer failed on attempt ") + std::to_string(attempts);
    return 1000 + attempts;
}

int lazy_value(bool fail)
{
    static int value = compute(fail);
    return value;
}
