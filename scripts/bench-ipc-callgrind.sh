#!/usr/bin/env bash
# Host instructions per operation of each hosted case of `selvm bench ipc`, counted by
# callgrind (deterministic, unlike time on a loaded machine). Each case runs twice with
# `--untimed` (no clock reads), with N1 and N2 operations; the difference of the two
# totals divided by N2 - N1 is the cost of one operation, boot and setup cancelling out.
#   scripts/bench-ipc-callgrind.sh [--no-build] [CASE ...]   (default: every hosted case)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
N1="${N1:-5000}"
N2="${N2:-25000}"
BUILD=1
if [ "${1:-}" = "--no-build" ]; then BUILD=0; shift; fi
CASES=("$@")
[ "${#CASES[@]}" -gt 0 ] || CASES=(fastpath slowpath mr20 signal yield)
[ "$BUILD" = 0 ] || cargo build -q --release -p selvm
BIN="$ROOT/target/release/selvm"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
total() { # case rounds -> instructions of the whole run
    valgrind --tool=callgrind --callgrind-out-file="$TMP/out" \
        "$BIN" bench ipc --untimed --only "$1" --rounds "$2" 2>"$TMP/log" >/dev/null
    sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$TMP/log"
}
printf '%-10s %14s %14s %16s\n' case "I($N1)" "I($N2)" "host instr/op"
for c in "${CASES[@]}"; do
    a="$(total "$c" "$N1")"
    b="$(total "$c" "$N2")"
    printf '%-10s %14s %14s %16s\n' "$c" "$a" "$b" "$(( (b - a) / (N2 - N1) ))"
done
