#include <condition_variable>
#include <deque>
#include <mutex>
#include "work.h"

struct Queue {
    std::mutex m;
    std::condition_variable cv;
    std::deque<int> items;
    bool closed = false;
};

Queue *queue_new() { return new Queue; }
void queue_free(Queue *q) { delete q; }

void queue_push(Queue *q, int v)
{
    {
        std::lock_guard<std::mutex> lock(q->m);
        q->items.push_back(v);
    }
    q->cv.notify_one();
}

bool queue_pop(Queue *q, int &v)
{
    std::unique_lock<std::mutex> lock(q->m);
    q->cv.wait(lock, [q] { return !q->items.empty() || q->closed; });
    if (q->items.empty()) return false;
    v = q->items.front();
    q->items.pop_front();
    return true;
}

void queue_close(Queue *q)
{
    {
        std::lock_guard<std::mutex> lock(q->m);
        q->closed = true;
    }
    q->cv.notify_all();
}
