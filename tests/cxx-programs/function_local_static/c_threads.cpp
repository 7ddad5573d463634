#include <atomic>
#include <thread>
#include <vector>
#include "shared.h"

static std::atomic<int> constructions{0};
static std::atomic<int> total_uses{0};

struct Slow {
    int value;
    Slow()
    {
        constructions++;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        value = 1234;
    }
    ~Slow() { std::printf("~Slow value %d\n", value); }
};

static int touch()
{
    static Slow slow;
    total_uses++;
    return slow.value;
}

int race_for_static(int threads)
{
    std::vector<std::thread> pool;
    std::vector<int> seen(threads);
    for (int i = 0; i < threads; i++) pool.emplace_back([i, &seen] { seen[i] = touch(); });
    for (auto &t : pool) t.join();
    long sum = 0;
    for (int v : seen) sum += v;
    std::printf("threads saw sum %ld, uses %d\n", sum, total_uses.load());
    return constructions.load();
}
