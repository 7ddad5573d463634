// Exercises: an exception nobody catches. It is thrown three frames deep in
// another object; the unwinder's search phase finds no handler, so
// std::terminate runs the default (verbose) handler, which writes to stderr
// and aborts: the process dies by SIGABRT. Output is flushed before the throw;
// static destructors and atexit handlers must not run.
#include <cstdlib>
#include <iostream>
#include <string>

void start_job(const std::string &name, int depth); // b_jobs.cpp

struct Global {
    std::string label = "global";
    ~Global() { std::cout << "~Global must not run" << std::endl; }
} global;

static void never() { std::cout << "atexit handler must not run" << std::endl; }

int main()
{
    std::atexit(never);
    std::cout << "starting jobs, " << global.label << " alive" << std::endl;
    start_job("first", 0);
    start_job("second", 3);
    std::cout << "not reached" << std::endl;
    return 0;
}
