"""gdb commands to list, dump and check Lantern's JIT debug objects.

Load with `source debugger-scripts/gdb/lantern-gdb.py` (or put that line in
~/.gdbinit). Adds `lantern-jit list`, `lantern-jit dump INDEX FILE` and
`lantern-jit check`. The parsing lives in ../lantern_jit.py, shared with the
lldb commands so both debuggers print the same thing.

It also keeps breakpoints in JIT'd code across a second `run`: when the
program ends, gdb frees the JIT objfiles, and re-setting a breakpoint that
was resolved in one fails (`Error in re-setting breakpoint 2: Function
"fact" not defined.`) and disables it for good. Here such breakpoints are
set aside (disabled) as their objfile goes with the process, and enabled
again as soon as a new JIT objfile gives them a location: as natively, the
breakpoint survives `run`.
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


def _is_jit_objfile(objfile):
    """gdb names objfiles read from JIT memory `<in-memory@0x...>`."""
    return (objfile.filename or "").startswith("<in-memory@")


def _objfile_at(address):
    """The objfile whose symbols cover `address`, or None."""
    progspace = gdb.current_progspace()
    try:
        block = progspace.block_for_pc(address)
    except RuntimeError:
        block = None
    if block is not None and block.function is not None:
        return block.function.symtab.objfile
    symtab = progspace.find_pc_line(address).symtab
    return symtab.objfile if symtab is not None else None


# Numbers of the breakpoints set aside when their JIT objfiles went away.
_set_aside = set()
# Numbers of the breakpoints whose locations are all in JIT objfiles, kept up
# to date while those objfiles are there (when one is freed, its symbols are
# already gone).
_in_jit_code = set()


def _note_locations(bp):
    if bp.type != gdb.BP_BREAKPOINT or not bp.locations or bp.number in _set_aside:
        return
    owners = [_objfile_at(loc.address) for loc in bp.locations]
    if all(o is not None and _is_jit_objfile(o) for o in owners):
        _in_jit_code.add(bp.number)
    else:
        _in_jit_code.discard(bp.number)


def _on_free_objfile(event):
    # Only when the process is gone (exited or killed): a unit removed
    # while the program runs is Lantern's business (gdb_jit re-registers).
    if not _is_jit_objfile(event.objfile) or gdb.selected_inferior().threads():
        return
    for bp in gdb.breakpoints():
        if bp.number in _in_jit_code and bp.enabled:
            _set_aside.add(bp.number)
            bp.enabled = False


def _on_new_objfile(event):
    if not _set_aside or not _is_jit_objfile(event.new_objfile):
        return
    for bp in gdb.breakpoints():
        if bp.number in _set_aside and bp.locations:
            _set_aside.discard(bp.number)
            bp.enabled = True


def _on_breakpoint_deleted(bp):
    _set_aside.discard(bp.number)
    _in_jit_code.discard(bp.number)


def _on_breakpoint_changed(bp):
    # Enabled by the user while set aside: theirs again.
    if bp.number in _set_aside and bp.enabled:
        _set_aside.discard(bp.number)
    _note_locations(bp)


def _on_stop(event):
    for bp in getattr(event, "breakpoints", []):
        _note_locations(bp)


# Sourcing the script again replaces the handlers instead of adding more.
for _event, _handler in getattr(gdb, "_lantern_handlers", []):
    _event.disconnect(_handler)
gdb._lantern_handlers = [
    (gdb.events.free_objfile, _on_free_objfile),
    (gdb.events.new_objfile, _on_new_objfile),
    (gdb.events.breakpoint_deleted, _on_breakpoint_deleted),
    (gdb.events.breakpoint_created, _on_breakpoint_changed),
    (gdb.events.breakpoint_modified, _on_breakpoint_changed),
    (gdb.events.stop, _on_stop),
]
for _event, _handler in gdb._lantern_handlers:
    _event.connect(_handler)

LanternJit()
LanternJitList()
LanternJitDump()
LanternJitCheck()
