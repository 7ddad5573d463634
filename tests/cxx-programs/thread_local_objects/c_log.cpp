#include <cstdio>
#include "tl.h"

struct LogHolder {
    std::string text;
    LogHolder() : text("[" + std::to_string(thread_tag) + "]") {}
    ~LogHolder() { std::printf("~LogHolder '%s'\n", text.c_str()); }
};

std::string &per_thread_log()
{
    thread_local LogHolder holder;
    return holder.text;
}

void worker(int tag)
{
    std::printf("worker %d starts, tag before %d\n", tag, thread_tag);
    thread_tag = tag;
    for (int i = 0; i < tag + 2; i++) session.record(tag * 100 + i);
    int n = record_in_b(tag);
    per_thread_log() += "worker;";
    std::printf("worker %d: %s has %d events, log '%s'\n", tag, session.owner.c_str(), n, per_thread_log().c_str());
}
