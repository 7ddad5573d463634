// Exercises: std::sort with a comparator function (by pointer) from another
// object, std::stable_sort keeping equal keys in order, a functor whose
// operator() is defined elsewhere, lambdas; nth_element, partial_sort,
// lower_bound/upper_bound, unique/erase, std::set and std::priority_queue
// with custom comparators; checksums of the orders.
#include <algorithm>
#include <cstdio>
#include <numeric>
#include <queue>
#include <set>
#include "records.h"

int main()
{
    std::vector<Record> recs = make_records(2000, 12345);
    std::printf("initial fold %016llx\n", static_cast<unsigned long long>(fold(recs)));
    std::vector<Record> a = recs;
    std::sort(a.begin(), a.end(), by_score_desc);
    std::printf("by score: first %s %d, last %s %d, fold %016llx\n", a.front().name.c_str(), a.front().score,
                a.back().name.c_str(), a.back().score, static_cast<unsigned long long>(fold(a)));
    std::vector<Record> b = recs;
    std::stable_sort(b.begin(), b.end(), [](const Record &x, const Record &y) { return x.score % 10 < y.score % 10; });
    std::printf("stable by last digit: fold %016llx, first ids %d %d %d\n", static_cast<unsigned long long>(fold(b)),
                b[0].id, b[1].id, b[2].id);
    std::vector<Record> c = recs;
    std::sort(c.begin(), c.end(), by_name);
    std::printf("by name: %s .. %s, fold %016llx\n", c.front().name.c_str(), c.back().name.c_str(),
                static_cast<unsigned long long>(fold(c)));

    std::vector<int> scores(recs.size());
    std::transform(recs.begin(), recs.end(), scores.begin(), [](const Record &r) { return r.score; });
    std::vector<int> med = scores;
    std::nth_element(med.begin(), med.begin() + med.size() / 2, med.end());
    std::vector<int> top = scores;
    std::partial_sort(top.begin(), top.begin() + 5, top.end(), std::greater<int>());
    std::printf("median %d, top5 %d %d %d %d %d, sum %ld\n", med[med.size() / 2], top[0], top[1], top[2], top[3],
                top[4], std::accumulate(scores.begin(), scores.end(), 0L));
    std::vector<int> sorted = scores;
    std::sort(sorted.begin(), sorted.end());
    auto lo = std::lower_bound(sorted.begin(), sorted.end(), 500);
    auto hi = std::upper_bound(sorted.begin(), sorted.end(), 600);
    sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
    std::printf("in [500,600]: %ld, distinct scores %zu\n", static_cast<long>(hi - lo), sorted.size());

    std::vector<int> mod = scores;
    std::stable_sort(mod.begin(), mod.end(), ModuloLess{7});
    long h = 0;
    for (size_t i = 0; i < mod.size(); i++) h = h * 31 + mod[i] * static_cast<long>(i % 13);
    std::printf("stable modulo 7: first %d %d, hash %ld\n", mod[0], mod[1], h);

    std::set<int, ModuloLess> buckets(ModuloLess{100});
    for (int s : scores) buckets.insert(s);
    std::printf("set by mod 100: %zu buckets, first %d, last %d\n", buckets.size(), *buckets.begin(), *buckets.rbegin());
    auto cmp = [](const Record *x, const Record *y) { return x->id * 7919 % 2003 > y->id * 7919 % 2003; };
    std::priority_queue<const Record *, std::vector<const Record *>, decltype(cmp)> pq(cmp);
    for (const auto &r : recs) pq.push(&r);
    std::printf("priority queue pops:");
    for (int i = 0; i < 6; i++) {
        std::printf(" %d", pq.top()->id);
        pq.pop();
    }
    std::printf("\n");
    return 0;
}
