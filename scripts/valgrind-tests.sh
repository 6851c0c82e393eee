#!/usr/bin/env bash
# Runs every test of the register machine (`selvm-vm`, `selvm-bytecode`) under
# valgrind memcheck. The tests are built with the `valgrind` profile (optimized, with
# debug assertions and overflow checks) so the whole suite runs in about a minute.
# Fails on any memcheck error or definite leak. Called by scripts/test.sh.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

command -v valgrind >/dev/null 2>&1 || { echo "valgrind-tests: valgrind not installed (scripts/setup.sh installs it)" >&2; exit 1; }

packages=(-p selvm-vm -p selvm-bytecode)
cargo test --profile valgrind "${packages[@]}" --no-run --quiet
mapfile -t binaries < <(
    cargo test --profile valgrind "${packages[@]}" --no-run --message-format=json 2>/dev/null |
        sed -n 's/.*"executable":"\([^"]*\)".*/\1/p'
)
[ "${#binaries[@]}" -gt 0 ] || { echo "valgrind-tests: no test binaries found" >&2; exit 1; }

for bin in "${binaries[@]}"; do
    echo "    valgrind $(basename "$bin")"
    valgrind -q --error-exitcode=1 --leak-check=full --show-leak-kinds=definite \
        --errors-for-leak-kinds=definite \
        "$bin" -q >/dev/null
done
echo "    ${#binaries[@]} test binaries clean under valgrind memcheck"
