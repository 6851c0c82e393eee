#!/usr/bin/env bash
# Builds the conformance suite (user/conformance) and runs it on the hosted machine.
# Passes when the last line reports 0 failed and at least MIN (default 100) passed.
#   scripts/conformance.sh [--features F] [--no-build]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
MIN="${SELVM_CONFORMANCE_MIN:-100}"
FEATURES=()
BUILD=1
while [ "$#" -gt 0 ]; do
    case "$1" in
        --features) FEATURES=(--features "$2"); shift 2 ;;
        --no-build) BUILD=0; shift ;;
        *) echo "usage: scripts/conformance.sh [--features F] [--no-build]" >&2; exit 2 ;;
    esac
done
WASM="$ROOT/target/user/conformance.wasm"
if [ "$BUILD" = 1 ]; then
    SELVM_SKIP_DX=1 scripts/build-user.sh user/conformance "$ROOT/target/user" >/dev/null
fi
OUT="$(mktemp)"
trap 'rm -f "$OUT"' EXIT
cargo build -q -p selvm "${FEATURES[@]}"
# A seeded bug can loop in user space (the instruction limit ends that: the suite
# needs about 15 M) or inside one kernel entry, which no limit of the run loop can
# interrupt (mutation-cdt-parent breaks the derivation tree and a delete then never
# ends): the host-time bound of `timeout` ends that. A normal run takes about a second.
timeout 120 "$ROOT/target/debug/selvm" run --deterministic --max-instructions 200000000 "$WASM" >"$OUT" 2>&1 || true
grep -E 'FAIL' "$OUT" >&2 || true
LAST="$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$OUT" | tail -n1)"
echo "conformance: ${LAST:-no summary line (the run did not finish)}"
[ -n "$LAST" ] || exit 1
PASSED="${LAST%% passed*}"
FAILED="$(echo "$LAST" | sed 's/.*, \([0-9]*\) failed/\1/')"
[ "$FAILED" -eq 0 ] && [ "$PASSED" -ge "$MIN" ]
