#include <cstdio>
#include "shapes.h"

Printable::~Printable() {}
Measurable::~Measurable() {}

std::string Circle::describe() const { return "circle r=" + std::to_string(static_cast<int>(r)); }
double Circle::area() const { return 3.14159265358979 * r * r; }
std::string Rect::describe() const
{
    return "rect " + std::to_string(static_cast<int>(w)) + "x" + std::to_string(static_cast<int>(h));
}
double Rect::area() const { return w * h; }
int Rect::sides() const { return 4; }
std::string Square::describe() const { return "square " + std::to_string(static_cast<int>(w)); }

Named::~Named() {}
std::string Named::who() const { return "named"; }
std::string Walker::who() const { return "walker(" + name + ")"; }
int Walker::speed() const { return legs * 2; }
int Swimmer::depth() const { return fins * 10; }
std::string Frog::who() const { return "frog(" + name + ")"; }
int Frog::depth() const { return 3; }
