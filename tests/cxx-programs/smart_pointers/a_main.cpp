// Exercises: std::unique_ptr (a factory in another object returning a
// derived object through the base, moves, a custom deleter for FILE*,
// arrays), std::shared_ptr (use_count, aliasing, custom deleter, make_shared
// of a derived type held as base), std::weak_ptr (lock, expired, parent links
// breaking cycles) and enable_shared_from_this; destructors print in order.
#include "nodes.h"

int main()
{
    std::printf("unique_ptr:\n");
    {
        std::unique_ptr<Resource> a = make_resource("alpha", false);
        std::unique_ptr<Resource> b = make_resource("beta", true);
        std::printf("  costs %d %d\n", a->cost(), b->cost());
        std::unique_ptr<Resource> moved = std::move(a);
        std::printf("  after move: a %s, moved %s\n", a ? "set" : "null", moved->name.c_str());
        b.reset();
        std::printf("  b reset\n");
        std::unique_ptr<int[]> arr(new int[5]{1, 2, 3, 4, 5});
        int s = 0;
        for (int i = 0; i < 5; i++) s += arr[i];
        std::printf("  array sum %d\n", s);
    }
    std::printf("shared_ptr:\n");
    {
        std::shared_ptr<Resource> s1 = share_resource("gamma");
        std::weak_ptr<Resource> w = s1;
        {
            std::shared_ptr<Resource> s2 = s1;
            std::shared_ptr<const std::string> alias(s1, &s1->name);
            std::printf("  use_count %ld, alias '%s'\n", s1.use_count(), alias->c_str());
        }
        std::printf("  use_count %ld, expired %d\n", s1.use_count(), w.expired());
        s1.reset();
        std::printf("  after reset: expired %d, lock null %d\n", w.expired(), w.lock() == nullptr);
        int deleted = 0;
        {
            std::shared_ptr<int> custom(new int(99), [&deleted](int *p) {
                deleted = *p;
                delete p;
            });
            std::shared_ptr<int> other = custom;
        }
        std::printf("  custom deleter saw %d\n", deleted);
    }
    std::printf("tree:\n");
    {
        std::shared_ptr<Node> root = build_tree(3, 2);
        std::printf("  sum %d, root use_count %ld\n", tree_sum(root), root.use_count());
        std::shared_ptr<Node> leaf = root->children[1]->children[0];
        std::shared_ptr<Node> parent = leaf->parent.lock();
        std::printf("  leaf %d parent %d, shared_from_this same %d\n", leaf->value, parent->value,
                    leaf->shared_from_this() == leaf);
        root.reset();
        parent.reset();
        std::printf("  tree dropped, leaf alive %d, parent expired %d\n", leaf->value, leaf->parent.expired());
    }
    std::printf("file:\n");
    {
        FilePtr f = open_temp();
        std::fputs("twelve chars", f.get());
        std::printf("  wrote %ld bytes\n", std::ftell(f.get()));
    }
    std::printf("done\n");
    return 0;
}
