#pragma once
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

struct Resource {
    std::string name;
    explicit Resource(std::string n) : name(std::move(n)) { std::printf("  acquire %s\n", name.c_str()); }
    virtual ~Resource() { std::printf("  release %s\n", name.c_str()); }
    virtual int cost() const { return static_cast<int>(name.size()); }
};

struct Node : std::enable_shared_from_this<Node> {
    int value;
    std::vector<std::shared_ptr<Node>> children;
    std::weak_ptr<Node> parent;
    explicit Node(int v) : value(v) {}
    ~Node() { std::printf("  ~Node %d\n", value); }
    std::shared_ptr<Node> add_child(int v);
};

std::unique_ptr<Resource> make_resource(const std::string &name, bool special); // b_factory.cpp
std::shared_ptr<Resource> share_resource(const std::string &name);             // b_factory.cpp
std::shared_ptr<Node> build_tree(int depth, int fanout);                        // c_tree.cpp
int tree_sum(const std::shared_ptr<Node> &n);                                   // c_tree.cpp
struct FileCloser {
    void operator()(std::FILE *f) const;
};
using FilePtr = std::unique_ptr<std::FILE, FileCloser>;
FilePtr open_temp();                                                            // c_tree.cpp
