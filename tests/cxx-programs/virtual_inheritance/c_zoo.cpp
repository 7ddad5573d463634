#include "shapes.h"

namespace {
struct Label : Printable {
    std::string describe() const override { return "just a label"; }
};
} // namespace

Printable *make_shape(int kind)
{
    switch (kind) {
    case 0: return new Circle(2);
    case 1: return new Rect(3, 5);
    case 2: return new Square(4);
    default: return new Label;
    }
}

Named *make_animal(int kind)
{
    switch (kind) {
    case 0: return new Walker(2);
    case 1: return new Swimmer(6);
    default: return new Frog;
    }
}
