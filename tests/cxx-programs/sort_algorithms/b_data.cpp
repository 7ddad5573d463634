#include "records.h"

std::vector<Record> make_records(int n, uint32_t seed)
{
    static const char *syllables[] = {"ka", "lo", "mi", "ne", "ru", "so", "ta", "vi"};
    std::vector<Record> out;
    uint32_t s = seed;
    for (int i = 0; i < n; i++) {
        s = s * 1103515245u + 12345u;
        std::string name;
        for (int k = 0; k < 3; k++) name += syllables[(s >> (8 + 3 * k)) & 7];
        out.push_back(Record{name, static_cast<int>((s >> 16) % 1000), i});
    }
    return out;
}

uint64_t fold(const std::vector<Record> &v)
{
    uint64_t h = 1469598103934665603ull;
    for (const auto &r : v) {
        h = (h ^ static_cast<uint64_t>(r.id)) * 1099511628211ull;
        h = (h ^ static_cast<uint64_t>(r.score)) * 1099511628211ull;
    }
    return h;
}
