#include <cstdio>
#include "tl.h"

thread_local int thread_tag = 0;
thread_local Session session;

Session::Session() : owner("thread#" + std::to_string(thread_tag))
{
    std::printf("Session() for %s\n", owner.c_str());
}

Session::~Session()
{
    long sum = 0;
    for (int e : events) sum += e;
    std::printf("~Session() for %s: %zu events, sum %ld\n", owner.c_str(), events.size(), sum);
}

int record_in_b(int e)
{
    session.record(e * 10);
    return static_cast<int>(session.events.size());
}
