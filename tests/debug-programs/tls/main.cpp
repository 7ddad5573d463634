// The debugger tests' thread-local program: thread_local variables of every
// kind (initialized, zero, with a constructor, in a namespace, file-static,
// function-local, defined in a C object), read in the main thread and in a
// second thread, whose copies differ.
#include <cstdio>
#include <string>
#include <thread>

extern "C" int bump_c_counter(int by);
extern "C" __thread int c_counter;

thread_local int counter = 7;
thread_local std::string label = "main-label";
namespace ns {
thread_local long depth;
}
static thread_local int hits = 3;

int touch(int by)
{
    static thread_local int calls;
    calls += 1;
    counter += by;
    ns::depth += 10 * by;
    hits += 1;
    return counter + calls;
}

void worker()
{
    label = "worker-label";
    touch(100);
    bump_c_counter(5);
}

int main()
{
    touch(1);
    touch(2);
    bump_c_counter(1);
    std::thread t(worker);
    t.join();
    std::printf("counter %d depth %ld hits %d c %d label %s\n", counter, ns::depth, hits,
                c_counter, label.c_str());
    return 0;
}
