"""lldb commands to list, dump and check Lantern's JIT debug objects.

Load with `command script import debugger-scripts/lldb/lantern_lldb.py` (or
put that line in ~/.lldbinit). Adds `lantern-jit list`, `lantern-jit dump
INDEX FILE` and `lantern-jit check`, printing what the gdb commands print:
the parsing lives in ../lantern_jit.py, shared by both. lldb loads JIT
objects only with `settings set plugin.jit-loader.gdb.enable on`; these
commands read the list themselves and work either way.
"""

import os
import shlex
import sys

import lldb

# Always this checkout's lantern_jit.py, loaded afresh: importing the script
# again (or another checkout's copy) must not keep a stale module.
_HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if _HERE in sys.path:
    sys.path.remove(_HERE)
sys.path.insert(0, _HERE)
sys.modules.pop("lantern_jit", None)
import lantern_jit  # noqa: E402


class _Failure(Exception):
    """A command error, reported through the SBCommandReturnObject, with
    the output lines that explain it (check's problems)."""

    def __init__(self, message, lines=()):
        super().__init__(message)
        self.lines = list(lines)


def _descriptor_address(target):
    """The load address of `__jit_debug_descriptor`, or None if absent.

    The symbol has no debug type (Lantern defines it in assembly), so it is
    looked up in the symbol tables rather than as a variable.
    """
    for context in target.FindSymbols("__jit_debug_descriptor"):
        addr = context.GetSymbol().GetStartAddress().GetLoadAddress(target)
        if addr != lldb.LLDB_INVALID_ADDRESS:
            return addr
    return None


def _session(exe_ctx):
    """(read, descriptor address) for a live process; _Failure without one."""
    process = exe_ctx.GetProcess()
    if not process.IsValid() or not process.is_alive:
        raise _Failure("lantern-jit: no live process (launch or attach first)")

    def read(addr, size):
        error = lldb.SBError()
        data = process.ReadMemory(addr, size, error)
        if error.Fail():
            raise lantern_jit.ReadError(error.GetCString())
        return data

    return read, _descriptor_address(exe_ctx.GetTarget())


def _command(body):
    """Wraps a command body so failures land in the result object, where a
    batch run (`lldb -b`) prints them as errors."""

    def command(debugger, arg, exe_ctx, result, internal_dict):
        try:
            lines = body(arg, exe_ctx)
            result.AppendMessage("\n".join(lines))
            result.SetStatus(lldb.eReturnStatusSuccessFinishResult)
        except _Failure as e:
            if e.lines:
                result.AppendMessage("\n".join(e.lines))
            result.SetError(str(e))
        except (lantern_jit.ReadError, OSError) as e:
            result.SetError("lantern-jit: %s" % e)

    command.__doc__ = body.__doc__
    return command


def _list(arg, exe_ctx):
    """List registered JIT objects: index, address, size, functions, sections."""
    return lantern_jit.list_lines(*_session(exe_ctx))


def _dump(arg, exe_ctx):
    """Write the bytes of registered JIT object INDEX to FILE: dump INDEX FILE."""
    args = shlex.split(arg)
    if len(args) != 2 or not args[0].isdigit():
        raise _Failure("usage: lantern-jit dump INDEX FILE")
    read, descriptor = _session(exe_ctx)
    try:
        return [lantern_jit.dump(read, descriptor, int(args[0]), args[1])]
    except (lantern_jit.ReadError, OSError) as e:
        raise _Failure("lantern-jit dump: %s" % e)


def _check(arg, exe_ctx):
    """Check the JIT list and every registered object; an error if any problem."""
    lines, ok = lantern_jit.check_lines(*_session(exe_ctx))
    if not ok:
        raise _Failure(lines[-1], lines[:-1])
    return lines


lantern_jit_list = _command(_list)
lantern_jit_dump = _command(_dump)
lantern_jit_check = _command(_check)


def __lldb_init_module(debugger, internal_dict):
    """Registers the `lantern-jit` container and its subcommands; -o lets a
    second import replace them instead of failing."""
    commands = [
        'command container add -o -h "Inspect the debug objects Lantern registers '
        'through the GDB JIT interface." lantern-jit',
    ]
    for name, function in (("list", _list), ("dump", _dump), ("check", _check)):
        commands.append('command script add -o -h "%s" -f %s.lantern_jit_%s lantern-jit %s'
                        % (function.__doc__.rstrip("."), __name__, name, name))
    for command in commands:
        result = lldb.SBCommandReturnObject()
        debugger.GetCommandInterpreter().HandleCommand(command, result)
        if not result.Succeeded():
            print("lantern_lldb: %s: %s" % (command, result.GetError()))
