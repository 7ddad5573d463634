#include <iostream>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

int shapes_made = 0;

struct Shape {
    virtual ~Shape() = default;
    virtual double area() const = 0;
    virtual std::string name() const = 0;
};

struct Rect : Shape {
    double w, h;
    Rect(double w, double h) : w(w), h(h) { ++shapes_made; }
    double area() const override { return w * h; }
    std::string name() const override { return "rect"; }
};

struct Square : Rect {
    explicit Square(double s) : Rect(s, s) {}
    std::string name() const override { return "square"; }
};

__attribute__((noinline)) double total_area(const std::vector<std::unique_ptr<Shape>>& shapes) {
    double sum = 0;
    for (const auto& s : shapes) sum += s->area();
    return sum;
}

__attribute__((noinline)) double checked_area(const Shape& s) {
    double a = s.area();
    if (a > 50) throw std::runtime_error(s.name() + " too large");
    return a;
}

int main() {
    std::vector<std::unique_ptr<Shape>> shapes;
    shapes.push_back(std::make_unique<Rect>(2, 3));
    shapes.push_back(std::make_unique<Square>(4));
    shapes.push_back(std::make_unique<Square>(8));
    for (const auto& s : shapes) {
        try {
            std::cout << s->name() << " " << checked_area(*s) << "\n";
        } catch (const std::exception& e) {
            std::cout << "error: " << e.what() << "\n";
        }
    }
    std::cout << "total " << total_area(shapes) << " made " << shapes_made << std::endl;
    return shapes_made;
}
