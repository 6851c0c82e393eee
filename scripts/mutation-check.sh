#!/usr/bin/env bash
# Mutation check: builds selvm with each seeded kernel bug (kernel features
# mutation-*) and requires the conformance suite to notice it (a failed test, or a
# run that does not finish). Debug builds; the suite is built once.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
MUTATIONS=(mutation-badge mutation-rights mutation-cdt-parent mutation-mcp mutation-unmap)
SELVM_SKIP_DX=1 scripts/build-user.sh user/conformance "$ROOT/target/user" >/dev/null
missed=()
for m in "${MUTATIONS[@]}"; do
    if SELVM_CONFORMANCE_MIN=0 scripts/conformance.sh --no-build --features "$m" 2>/dev/null; then
        echo "mutation-check: $m NOT caught"
        missed+=("$m")
    else
        echo "mutation-check: $m caught"
    fi
done
[ "${#missed[@]}" -eq 0 ] || { echo "mutation-check: missed ${missed[*]}" >&2; exit 1; }
