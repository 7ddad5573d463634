//! A Zig program built with `zig build-obj -lc`: `main` is exported with the
//! C calling convention and prints through libc.
const std = @import("std");

/// A global the debugger prints.
export var zig_total: i32 = 100;

const Sample = struct {
    value: i32,
    scale: i32,
};

fn weigh(sample: Sample) i32 {
    return sample.value * sample.scale;
}

export fn zig_work(n: i32) i32 {
    var i: i32 = 0;
    while (i < n) : (i += 1) {
        zig_total += weigh(.{ .value = i, .scale = 3 });
    }
    return zig_total;
}

export fn main() c_int {
    const first = zig_work(5);
    const second = zig_work(2);
    _ = std.c.printf("zig_work: %d then %d\n", first, second);
    return @rem(second, 7);
}
