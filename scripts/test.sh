#!/usr/bin/env bash
# Installs what the test suite needs (Debian packages, as root) and runs it.
# This is the test command of README.md; .ci/run calls it.
set -euo pipefail
cd "$(dirname "$0")/.."

# gfortran, tcc and nasm: tests/compilers.rs (objects from every compiler).
packages=(gcc g++ libc6-dev binutils clang-19 llvm-19 gdb lldb-19 python3 python3-pip gfortran tcc nasm)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
    echo "test.sh: installing ${missing[*]}" >&2
    SUDO=""
    if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Zig has no Debian package: PyPI's ziglang ships the compiler (`python3 -m ziglang`).
if ! command -v zig >/dev/null && ! python3 -m ziglang version >/dev/null 2>&1; then
    echo "test.sh: installing ziglang from PyPI" >&2
    python3 -m pip install --quiet ziglang || python3 -m pip install --quiet --break-system-packages ziglang
fi

cargo fmt --all --check
cargo clippy --workspace --all-targets --quiet -- -D warnings
# The API documentation builds without a warning (broken or private links).
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --quiet

log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
cargo test --workspace --no-fail-fast 2>&1 | tee "$log" || status=$?
# One closing line for the whole run, summed over every test binary.
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
     END { printf "%d passed, %d failed\n", p, f }' "$log"
exit "$status"
