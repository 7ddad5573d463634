#include <iostream>
#include <stdexcept>
#include <string>

struct JobFailed : std::runtime_error {
    using std::runtime_error::runtime_error;
};

static void step(const std::string &name, int depth, int level)
{
    if (level == depth && depth > 0) {
        std::cout << "job " << name << " failing at level " << level << std::endl;
        throw JobFailed("job " + name + " failed");
    }
    if (level < 3) step(name, depth, level + 1);
}

void start_job(const std::string &name, int depth)
{
    try {
        step(name, depth, 0);
        std::cout << "job " << name << " done" << std::endl;
    } catch (const std::logic_error &e) {
        std::cout << "logic error (wrong handler): " << e.what() << std::endl;
    }
}
