#!/usr/bin/env bash
# Seeds fuzz/corpus/TARGET/ from the test programs' objects (not committed:
# rerun this script). Each program of tests/programs/ is compiled with gcc and
# clang-19 at a few flag sets, all with -g:
#   object_to_graph: every object alone;
#   link, debug_object: each program's objects concatenated (the targets
#     split their input at each ELF magic);
#   eh_frame_check: the address of .eh_frame (8 bytes, little-endian) and
#     its bytes, from the program linked natively with -no-pie.
set -euo pipefail
cd "$(dirname "$0")"
root=..
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p corpus/{object_to_graph,link,debug_object,eh_frame_check}
flagsets=("-O0 -g" "-O2 -g" "-O1 -g -fPIC -ffunction-sections -fdata-sections" "-Os -gdwarf-4 -fno-pic")
for dir in "$root"/tests/programs/*/; do
  prog=$(basename "$dir")
  for cc in gcc clang-19; do
    command -v "$cc" >/dev/null || continue
    for i in "${!flagsets[@]}"; do
      out="$work/$prog-$cc-$i"
      mkdir -p "$out"
      ok=1
      for src in "$dir"*.c; do
        [ -e "$src" ] || continue
        # shellcheck disable=SC2086
        "$cc" ${flagsets[$i]} -c "$src" -o "$out/$(basename "$src" .c).o" 2>/dev/null || ok=0
      done
      [ "$ok" = 1 ] && compgen -G "$out/*.o" >/dev/null || continue
      for o in "$out"/*.o; do
        cp "$o" "corpus/object_to_graph/$prog-$cc-$i-$(basename "$o")"
      done
      cat "$out"/*.o >"corpus/link/$prog-$cc-$i"
      cp "corpus/link/$prog-$cc-$i" "corpus/debug_object/$prog-$cc-$i"
      if "$cc" -no-pie -o "$out/a.out" "$out"/*.o -lm -lpthread 2>/dev/null; then
        addr=$(readelf -SW "$out/a.out" | awk '$2 == ".eh_frame" { print $4 }')
        [ -n "$addr" ] || continue
        objcopy -O binary --only-section=.eh_frame "$out/a.out" "$out/eh"
        python3 -c 'import sys,struct; sys.stdout.buffer.write(struct.pack("<Q", int(sys.argv[1], 16)))' "$addr" \
          >"corpus/eh_frame_check/$prog-$cc-$i"
        cat "$out/eh" >>"corpus/eh_frame_check/$prog-$cc-$i"
      fi
    done
  done
done
for t in corpus/*; do echo "$t: $(ls "$t" | wc -l) inputs"; done
