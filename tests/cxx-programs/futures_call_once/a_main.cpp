// Exercises: std::call_once (its header code reaches libstdc++'s own
// thread-local variables __once_callable / __once_call), std::promise /
// std::future with values and with set_exception, std::async with
// std::launch::async, and std::packaged_task; exceptions from worker threads
// reach main through the futures. Results are printed in a fixed order.
#include <cstdio>
#include <future>
#include <stdexcept>
#include <thread>
#include <vector>

int expensive_setup(int caller);   // b_once.cpp: runs its body once
int setup_runs();                  // b_once.cpp
int compute(int id);               // b_once.cpp: throws for id % 4 == 3

int main()
{
    std::vector<std::thread> pool;
    std::vector<int> seen(4);
    for (int i = 0; i < 4; i++) pool.emplace_back([i, &seen] { seen[i] = expensive_setup(i); });
    for (auto &t : pool) t.join();
    std::printf("call_once: body ran %d time(s), all threads saw the same value %d\n", setup_runs(),
                seen[0] == seen[1] && seen[1] == seen[2] && seen[2] == seen[3]);

    for (int id = 0; id < 4; id++) {
        std::promise<int> p;
        std::future<int> f = p.get_future();
        std::thread t([&p, id] {
            try {
                p.set_value(compute(id));
            } catch (...) {
                p.set_exception(std::current_exception());
            }
        });
        try {
            std::printf("promise %d -> %d\n", id, f.get());
        } catch (const std::exception &e) {
            std::printf("promise %d threw: %s\n", id, e.what());
        }
        t.join();
    }
    std::vector<std::future<int>> futures;
    for (int id = 4; id < 8; id++) futures.push_back(std::async(std::launch::async, compute, id));
    for (size_t i = 0; i < futures.size(); i++) {
        try {
            std::printf("async %zu -> %d\n", i + 4, futures[i].get());
        } catch (const std::runtime_error &e) {
            std::printf("async %zu threw: %s\n", i + 4, e.what());
        }
    }
    std::packaged_task<int(int)> task(compute);
    std::future<int> tf = task.get_future();
    std::thread(std::move(task), 10).join();
    std::printf("packaged_task -> %d\n", tf.get());
    return 0;
}
