// The debugger tests' C++ program: virtual calls, a vector of shapes, an
// exception thrown in the second object and caught here.
#include <cstdio>
#include <stdexcept>
#include <vector>

#include "registry.h"

class Shape {
public:
    virtual ~Shape() {}
    virtual int area() const = 0;
};

class Rect : public Shape {
    int w, h;

public:
    Rect(int w, int h) : w(w), h(h) {}
    int area() const override
    {
        int result = w * h;
        return result;
    }
};

int total_area(const std::vector<Shape *> &shapes)
{
    int sum = 0;
    for (auto *s : shapes) {
        sum += s->area();
    }
    return sum;
}

int main()
{
    Rect a(2, 3), b(4, 5);
    std::vector<Shape *> shapes{&a, &b};
    int area = total_area(shapes);
    int result = 0;
    try {
        result = checked_div(area, 0);
    } catch (const std::invalid_argument &e) {
        std::printf("caught: %s\n", e.what());
        result = -1;
    }
    registry.add("main");
    std::printf("area %d result %d names %zu\n", area, result, registry.names.size());
    return 0;
}
