#pragma once
#include <cstdint>
#include <vector>

uint64_t checksum_range(uint64_t begin, uint64_t end); // b_work.cpp
struct Queue;                                          // c_queue.cpp
Queue *queue_new();
void queue_push(Queue *q, int v);
bool queue_pop(Queue *q, int &v); // false once closed and drained
void queue_close(Queue *q);
void queue_free(Queue *q);
