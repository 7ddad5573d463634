#include <cstdio>
#include "api.h"

int throwing_callback(int v)
{
    if (v & 1) throw CallbackError("odd value " + std::to_string(v), v * 11);
    return v * 7;
}

void visit_item(int v)
{
    std::printf("  visit_item(%d)\n", v);
    if (v > 9) throw std::out_of_range("item too large: " + std::to_string(v));
}

namespace {
struct Picky : Visitor {
    int seen = 0;
    void visit(int v) override
    {
        seen += v;
        if (seen > 20) throw CallbackError("picky visitor overflow", v);
    }
    ~Picky() override { std::printf("  ~Picky seen %d\n", seen); }
};
} // namespace

Visitor *make_picky_visitor() { return new Picky; }

void throw_for_capture() { throw CallbackError("captured for later", 314); }
