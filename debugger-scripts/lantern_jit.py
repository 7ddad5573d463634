"""Reading and checking the debug objects Lantern registers with debuggers.

Lantern hands gdb and lldb one in-memory ELF file per link unit through the
GDB JIT interface. When a JIT'd frame shows `??` or a breakpoint never binds,
the first questions are "what did the debugger get?" and "is it well formed?".
This module answers both from raw bytes, so the gdb and lldb front ends
(gdb/lantern-gdb.py, lldb/lantern_lldb.py) share one parser, one list walk and
one output format, and it needs nothing but the standard library: debuggers
embed their own Python, where third-party packages are rarely installed.

Run as a script, it checks debug objects saved to files (`lantern-jit dump`,
`lantern debug-object`): `python3 lantern_jit.py FILE...`.
"""

import struct
import sys
from collections import namedtuple

EM_X86_64 = 62
ET_REL = 1
SHT_SYMTAB, SHT_RELA, SHT_NOBITS, SHT_REL = 2, 4, 8, 9
SHF_WRITE, SHF_ALLOC, SHF_EXECINSTR = 0x1, 0x2, 0x4
STT_FUNC = 2
SHN_LORESERVE, SHN_XINDEX = 0xFF00, 0xFFFF

EHDR = struct.Struct("<16sHHIQQQIHHHHHH")
SHDR = struct.Struct("<IIQQQQIIQQ")
SYM = struct.Struct("<IBBHQQ")
DESCRIPTOR = struct.Struct("<IIQQ")
ENTRY = struct.Struct("<QQQQ")

# Guards against walking garbage: a corrupt pointer must end the walk with a
# problem, not hang the debugger or make it read gigabytes.
MAX_OBJECTS = 1 << 16
MAX_OBJECT_SIZE = 1 << 30

Section = namedtuple("Section", "index name type flags addr offset size link entsize")
Symbol = namedtuple("Symbol", "name type shndx value size")
Entry = namedtuple("Entry", "addr next prev symfile_addr symfile_size")


class FormatError(Exception):
    """The bytes are not an ELF file this module can read any further."""


class ReadError(Exception):
    """The debugger could not read process memory (raised by its `read`)."""


class DebugObject:
    """A parsed debug object: its sections, symbols and every problem found.

    Parsing keeps going past problems that do not stop it (a section at
    address 0, a symbol outside its section), so `list` can still show what a
    broken object holds while `check` reports what is wrong with it.
    """

    def __init__(self, data):
        self.problems = []
        self.sections = []
        self.symbols = []
        self._parse_header(data)
        self._parse_sections(data)
        self._parse_symbols(data)

    def allocated(self):
        """The sections that occupy process memory, in address order."""
        found = [s for s in self.sections if s.flags & SHF_ALLOC]
        return sorted(found, key=lambda s: (s.addr, s.index))

    def functions(self):
        return [s for s in self.symbols if s.type == STT_FUNC]

    def _parse_header(self, data):
        if len(data) < EHDR.size:
            raise FormatError("truncated ELF header: %d bytes" % len(data))
        (ident, e_type, machine, _, _, _, shoff, _, _, _, _,
         shentsize, shnum, shstrndx) = EHDR.unpack_from(data)
        if ident[:4] != b"\x7fELF":
            raise FormatError("bad ELF magic %r" % ident[:4])
        if ident[4] != 2:
            raise FormatError("not ELF64 (class %d)" % ident[4])
        if ident[5] != 1:
            raise FormatError("not little-endian (data %d)" % ident[5])
        if machine != EM_X86_64:
            self.problems.append("machine %d is not x86-64 (%d)" % (machine, EM_X86_64))
        if e_type != ET_REL:
            self.problems.append("type %d is not ET_REL" % e_type)
        if shoff == 0:
            raise FormatError("no section header table")
        if shentsize != SHDR.size:
            raise FormatError("section header size %d, not %d" % (shentsize, SHDR.size))
        if shoff + SHDR.size > len(data):
            raise FormatError("section table at %#x out of bounds (file is %#x bytes)"
                              % (shoff, len(data)))
        # Extended numbering: counts too big for the header live in section 0.
        first = SHDR.unpack_from(data, shoff)
        if shnum == 0:
            shnum = first[4]
        if shstrndx == SHN_XINDEX:
            shstrndx = first[6]
        if shoff + shnum * SHDR.size > len(data):
            raise FormatError("section table at %#x with %d entries out of bounds "
                              "(file is %#x bytes)" % (shoff, shnum, len(data)))
        if shstrndx >= shnum:
            raise FormatError("section name table index %d out of range" % shstrndx)
        self._shoff, self._shnum, self._shstrndx = shoff, shnum, shstrndx

    def _contents(self, data, name, offset, size):
        if offset + size > len(data):
            self.problems.append("section %s [%#x, %#x) out of file bounds (%#x bytes)"
                                 % (name, offset, offset + size, len(data)))
            return b""
        return data[offset:offset + size]

    def _parse_sections(self, data):
        raw = [SHDR.unpack_from(data, self._shoff + i * SHDR.size) for i in range(self._shnum)]
        names_hdr = raw[self._shstrndx]
        names = self._contents(data, "#%d" % self._shstrndx, names_hdr[4], names_hdr[5])
        for index, (name, kind, flags, addr, offset, size, link, _, _, entsize) in enumerate(raw):
            if index == 0:
                continue
            section = Section(index, _cstring(names, name) or "#%d" % index,
                              kind, flags, addr, offset, size, link, entsize)
            self.sections.append(section)
            if kind != SHT_NOBITS:
                self._contents(data, section.name, offset, size)
            if flags & SHF_ALLOC and addr == 0:
                # gdb and lldb treat address 0 as "not loaded": code there
                # gets no symbols and frames in it print as `??`.
                self.problems.append("allocated section %s (#%d) at address 0"
                                     % (section.name, index))
            if kind in (SHT_REL, SHT_RELA):
                # The debugger does not apply relocations to JIT objects; a
                # relocation section means DWARF was left unrelocated.
                self.problems.append("relocation section %s (#%d): debug objects "
                                     "must be relocated already" % (section.name, index))

    def _parse_symbols(self, data):
        tables = [s for s in self.sections if s.type == SHT_SYMTAB]
        if not tables:
            self.problems.append("no .symtab section")
            return
        table = tables[0]
        if table.entsize != SYM.size:
            self.problems.append(".symtab entry size %d, not %d" % (table.entsize, SYM.size))
            return
        by_index = {s.index: s for s in self.sections}
        strtab = by_index.get(table.link)
        if strtab is None:
            self.problems.append(".symtab links to missing string table #%d" % table.link)
            return
        strings = self._contents(data, strtab.name, strtab.offset, strtab.size)
        body = self._contents(data, table.name, table.offset, table.size)
        for i in range(1, len(body) // SYM.size):
            name, info, _, shndx, value, size = SYM.unpack_from(body, i * SYM.size)
            symbol = Symbol(_cstring(strings, name), info & 0xF, shndx, value, size)
            self.symbols.append(symbol)
            if shndx == 0 or shndx >= SHN_LORESERVE:
                continue
            section = by_index.get(shndx)
            if section is None:
                self.problems.append("symbol %s in missing section #%d" % (symbol.name, shndx))
            elif value + size > section.size:
                # Values are offsets into the section (ET_REL): one past the
                # end means the debugger would name the wrong code.
                self.problems.append("symbol %s [%#x, %#x) outside section %s (#%d, size %#x)"
                                     % (symbol.name, value, value + size, section.name,
                                        shndx, section.size))


def _cstring(table, offset):
    end = table.find(b"\0", offset)
    if offset >= len(table) or end < 0:
        return ""
    return table[offset:end].decode("utf-8", "replace")


def parse(data):
    """Parses a debug object's bytes; raises FormatError if unreadable."""
    return DebugObject(bytes(data))


def check(data):
    """Lists what is wrong with a debug object's bytes; empty if nothing."""
    try:
        return parse(data).problems
    except FormatError as e:
        return [str(e)]


def walk(read, descriptor_addr):
    """Walks the JIT list as gdb and lldb do; returns (entries, problems).

    `read(addr, size)` returns process memory or raises ReadError. The checks
    are the ones whose failure makes a debugger silently skip or double-load
    objects: the descriptor version, each entry's back link, and the list
    ending (no cycle).
    """
    problems = []
    try:
        version, _, _, first = DESCRIPTOR.unpack(read(descriptor_addr, DESCRIPTOR.size))
    except ReadError as e:
        return [], ["cannot read __jit_debug_descriptor at %#x: %s" % (descriptor_addr, e)]
    if version != 1:
        # gdb ignores the whole list for any other version.
        problems.append("__jit_debug_descriptor version %d, not 1" % version)
    entries, seen, prev, addr = [], set(), 0, first
    while addr:
        if addr in seen:
            problems.append("cycle: entry %#x comes again after entry %#x" % (addr, prev))
            break
        if len(entries) >= MAX_OBJECTS:
            problems.append("more than %d entries: list is corrupt" % MAX_OBJECTS)
            break
        seen.add(addr)
        try:
            entry = Entry(addr, *ENTRY.unpack(read(addr, ENTRY.size)))
        except ReadError as e:
            problems.append("cannot read entry at %#x: %s" % (addr, e))
            break
        if entry.prev != prev:
            problems.append("entry #%d at %#x: prev_entry %#x, expected %#x"
                            % (len(entries), addr, entry.prev, prev))
        entries.append(entry)
        prev, addr = addr, entry.next
    return entries, problems


def object_bytes(read, entry):
    """The bytes of one registered object; raises ReadError."""
    if entry.symfile_addr == 0 or entry.symfile_size == 0:
        raise ReadError("entry at %#x has no object (symfile %#x, size %d)"
                        % (entry.addr, entry.symfile_addr, entry.symfile_size))
    if entry.symfile_size > MAX_OBJECT_SIZE:
        raise ReadError("entry at %#x: implausible object size %d"
                        % (entry.addr, entry.symfile_size))
    return bytes(read(entry.symfile_addr, entry.symfile_size))


def _count(n, noun):
    return "%d %s%s" % (n, noun, "" if n == 1 else "s")


def _flags(flags):
    return "".join(c for bit, c in ((SHF_WRITE, "W"), (SHF_ALLOC, "A"),
                                    (SHF_EXECINSTR, "X")) if flags & bit)


def list_lines(read, descriptor_addr):
    """`lantern-jit list`: a line per object, then its allocated sections."""
    if descriptor_addr is None:
        return ["lantern-jit: no __jit_debug_descriptor in this process: 0 objects"]
    entries, problems = walk(read, descriptor_addr)
    lines = ["lantern-jit: %s registered (descriptor at %#x)"
             % (_count(len(entries), "object"), descriptor_addr)]
    for index, entry in enumerate(entries):
        head = "[%d] symfile=%#x size=%d" % (index, entry.symfile_addr, entry.symfile_size)
        try:
            obj = parse(object_bytes(read, entry))
        except (ReadError, FormatError) as e:
            lines.append("%s unreadable: %s" % (head, e))
            continue
        lines.append("%s functions=%d symbols=%d"
                     % (head, len(obj.functions()), len(obj.symbols)))
        for s in obj.allocated():
            lines.append("    %-20s %#018x size=%#x %s"
                         % (s.name, s.addr, s.size, _flags(s.flags)))
    lines.extend("problem: " + p for p in problems)
    return lines


def check_lines(read, descriptor_addr):
    """`lantern-jit check`: returns (lines, ok) for the whole list."""
    if descriptor_addr is None:
        return ["lantern-jit: no __jit_debug_descriptor in this process",
                "lantern-jit check: 0 objects, all well formed"], True
    entries, problems = walk(read, descriptor_addr)
    for index, entry in enumerate(entries):
        try:
            found = check(object_bytes(read, entry))
        except ReadError as e:
            found = [str(e)]
        problems.extend("object [%d] at %#x: %s" % (index, entry.symfile_addr, p) for p in found)
    if not problems:
        return ["lantern-jit check: %s, all well formed"
                % _count(len(entries), "object")], True
    lines = ["problem: " + p for p in problems]
    lines.append("lantern-jit check: %s, %s"
                 % (_count(len(entries), "object"), _count(len(problems), "problem")))
    return lines, False


def dump(read, descriptor_addr, index, path):
    """`lantern-jit dump`: writes object INDEX to `path`; returns a message."""
    if descriptor_addr is None:
        raise ReadError("no __jit_debug_descriptor in this process")
    entries, _ = walk(read, descriptor_addr)
    if not 0 <= index < len(entries):
        raise ReadError("no object [%d]: %d registered" % (index, len(entries)))
    data = object_bytes(read, entries[index])
    with open(path, "wb") as f:
        f.write(data)
    return "lantern-jit: wrote object [%d] (%d bytes) to %s" % (index, len(data), path)


def main(paths):
    """Checks debug objects saved to files; exit status 1 on any problem."""
    if not paths:
        print("usage: python3 lantern_jit.py DEBUG_OBJECT...", file=sys.stderr)
        return 2
    bad = 0
    for path in paths:
        with open(path, "rb") as f:
            problems = check(f.read())
        for p in problems:
            print("%s: %s" % (path, p))
        if not problems:
            print("%s: well formed" % path)
        bad += bool(problems)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
