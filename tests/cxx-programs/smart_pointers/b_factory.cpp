#include "nodes.h"

namespace {
struct Special : Resource {
    int bonus;
    Special(const std::string &n, int b) : Resource(n), bonus(b) {}
    ~Special() override { std::printf("  ~Special bonus %d\n", bonus); }
    int cost() const override { return Resource::cost() * 10 + bonus; }
};
} // namespace

std::unique_ptr<Resource> make_resource(const std::string &name, bool special)
{
    if (special) return std::make_unique<Special>(name, 7);
    return std::make_unique<Resource>(name);
}

std::shared_ptr<Resource> share_resource(const std::string &name) { return std::make_shared<Special>(name, 3); }
