"""gdb commands to list, dump and check Lantern's JIT debug objects.

Load with `source debugger-scripts/gdb/lantern-gdb.py` (or put that line in
~/.gdbinit). Adds `lantern-jit list`, `lantern-jit dump INDEX FILE` and
`lantern-jit check`. The parsing lives in ../lantern_jit.py, shared with the
lldb commands so both debuggers print the same thing.
"""

import os
import sys

import gdb

# Always this checkout's lantern_jit.py, loaded afresh: sourcing the script
# again (or another checkout's copy) must not keep a stale module.
_HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if _HERE in sys.path:
    sys.path.remove(_HERE)
sys.path.insert(0, _HERE)
sys.modules.pop("lantern_jit", None)
import lantern_jit  # noqa: E402


def _descriptor_address():
    """The address of `__jit_debug_descriptor`, or None if no such symbol.

    The symbol has no debug type (Lantern defines it in assembly), so only
    its address is used; the bytes are read raw. Expression lookup depends on
    the frame's language (in a Rust frame gdb does not find minimal symbols),
    so C is tried as well.
    """
    try:
        return int(gdb.parse_and_eval("&__jit_debug_descriptor"))
    except gdb.error:
        pass
    language = gdb.parameter("language")
    try:
        gdb.execute("set language c", to_string=True)
        return int(gdb.parse_and_eval("&__jit_debug_descriptor"))
    except gdb.error:
        return None
    finally:
        gdb.execute("set language %s" % language, to_string=True)


def _read(addr, size):
    """Process memory as bytes; gdb's MemoryError becomes ReadError."""
    try:
        return bytes(gdb.selected_inferior().read_memory(addr, size))
    except gdb.MemoryError as e:
        raise lantern_jit.ReadError(str(e))


def _live_descriptor():
    """The descriptor address in a live process; GdbError without one."""
    if gdb.selected_inferior().pid == 0:
        raise gdb.GdbError("lantern-jit: no live process (run or attach first)")
    return _descriptor_address()


def _write(lines):
    for line in lines:
        gdb.write(line + "\n")


class LanternJit(gdb.Command):
    """Inspect the debug objects Lantern registers through the GDB JIT interface.

Subcommands: list, dump INDEX FILE, check."""

    def __init__(self):
        super().__init__("lantern-jit", gdb.COMMAND_DATA, gdb.COMPLETE_NONE, True)

    def invoke(self, arg, from_tty):
        gdb.execute("help lantern-jit", from_tty)


class LanternJitList(gdb.Command):
    """List registered JIT objects: index, address, size, functions, sections.

Usage: lantern-jit list"""

    def __init__(self):
        super().__init__("lantern-jit list", gdb.COMMAND_DATA, gdb.COMPLETE_NONE)

    def invoke(self, arg, from_tty):
        _write(lantern_jit.list_lines(_read, _live_descriptor()))


class LanternJitDump(gdb.Command):
    """Write the bytes of registered JIT object INDEX to FILE.

Usage: lantern-jit dump INDEX FILE
The file can be inspected with readelf, llvm-dwarfdump or
`python3 lantern_jit.py FILE`."""

    def __init__(self):
        super().__init__("lantern-jit dump", gdb.COMMAND_DATA, gdb.COMPLETE_FILENAME)

    def invoke(self, arg, from_tty):
        args = gdb.string_to_argv(arg)
        if len(args) != 2 or not args[0].isdigit():
            raise gdb.GdbError("usage: lantern-jit dump INDEX FILE")
        try:
            _write([lantern_jit.dump(_read, _live_descriptor(), int(args[0]), args[1])])
        except (lantern_jit.ReadError, OSError) as e:
            raise gdb.GdbError("lantern-jit dump: %s" % e)


class LanternJitCheck(gdb.Command):
    """Check the JIT list and every registered object; an error if any problem.

Usage: lantern-jit check
Checks: descriptor version 1, prev links, no cycle; each object is an
ELF64 x86-64 ET_REL with an in-bounds section table, no allocated section
at address 0, no relocation sections, and symbols inside their sections."""

    def __init__(self):
        super().__init__("lantern-jit check", gdb.COMMAND_DATA, gdb.COMPLETE_NONE)

    def invoke(self, arg, from_tty):
        lines, ok = lantern_jit.check_lines(_read, _live_descriptor())
        if ok:
            _write(lines)
            return
        _write(lines[:-1])
        raise gdb.GdbError(lines[-1])


LanternJit()
LanternJitList()
LanternJitDump()
LanternJitCheck()
