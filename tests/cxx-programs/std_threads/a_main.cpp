// Exercises: std::thread (4 workers, joined) running a function from another
// object, results gathered per thread and printed after join; a mutex-guarded
// shared total and a std::atomic counter; a producer/consumer queue (mutex +
// condition_variable, defined in another object) with 2 producers and 2
// consumers; thread ids distinct from main's.
#include <atomic>
#include <cstdio>
#include <mutex>
#include <thread>
#include <vector>
#include "work.h"

int main()
{
    const int workers = 4;
    std::vector<uint64_t> partial(workers);
    std::vector<std::thread> pool;
    std::mutex m;
    uint64_t total = 0;
    std::atomic<int> finished{0};
    std::atomic<int> not_main{0};
    std::thread::id main_id = std::this_thread::get_id();
    for (int i = 0; i < workers; i++) {
        pool.emplace_back([&, i] {
            uint64_t r = checksum_range(i * 250000ull, (i + 1) * 250000ull);
            partial[i] = r;
            std::lock_guard<std::mutex> lock(m);
            total += r;
            finished++;
            if (std::this_thread::get_id() != main_id) not_main++;
        });
    }
    for (auto &t : pool) t.join();
    for (int i = 0; i < workers; i++)
        std::printf("worker %d: %016llx\n", i, static_cast<unsigned long long>(partial[i]));
    std::printf("total %016llx, whole range %016llx, finished %d, off-main %d\n",
                static_cast<unsigned long long>(total),
                static_cast<unsigned long long>(checksum_range(0, workers * 250000ull)), finished.load(),
                not_main.load());

    Queue *q = queue_new();
    std::atomic<long> consumed_sum{0};
    std::atomic<int> consumed{0};
    std::vector<std::thread> threads;
    for (int c = 0; c < 2; c++)
        threads.emplace_back([&] {
            int v;
            while (queue_pop(q, v)) {
                consumed_sum += v;
                consumed++;
            }
        });
    std::vector<std::thread> producers;
    for (int p = 0; p < 2; p++)
        producers.emplace_back([q, p] {
            for (int i = 1; i <= 1000; i++) queue_push(q, i * (p + 1));
        });
    for (auto &t : producers) t.join();
    queue_close(q);
    for (auto &t : threads) t.join();
    queue_free(q);
    std::printf("queue: %d items consumed, sum %ld\n", consumed.load(), consumed_sum.load());
    std::printf("hardware threads known: %s\n", std::thread::hardware_concurrency() > 0 ? "yes" : "no");
    return 0;
}
