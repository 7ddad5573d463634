#include "nodes.h"

std::shared_ptr<Node> Node::add_child(int v)
{
    auto child = std::make_shared<Node>(v);
    child->parent = shared_from_this();
    children.push_back(child);
    return child;
}

static void grow(const std::shared_ptr<Node> &n, int depth, int fanout)
{
    if (depth == 0) return;
    for (int i = 0; i < fanout; i++) grow(n->add_child(n->value * 10 + i + 1), depth - 1, fanout);
}

std::shared_ptr<Node> build_tree(int depth, int fanout)
{
    auto root = std::make_shared<Node>(1);
    grow(root, depth, fanout);
    return root;
}

int tree_sum(const std::shared_ptr<Node> &n)
{
    int s = n->value;
    for (const auto &c : n->children) s += tree_sum(c);
    return s;
}

void FileCloser::operator()(std::FILE *f) const
{
    std::printf("  closing file\n");
    std::fclose(f);
}

FilePtr open_temp() { return FilePtr(std::tmpfile()); }
