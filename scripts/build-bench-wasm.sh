#!/usr/bin/env bash
# Builds the compute programs of `selvm bench wasm` (user/bench/*) for wasm32 through
# scripts/build-user.sh (release) and either installs them in user/bench/wasm/ or checks
# the committed ones.
#
#   scripts/build-bench-wasm.sh           rebuild and write user/bench/wasm/*.wasm and
#                                         user/bench/wasm/TOOLCHAIN (the rustc that built them)
#   scripts/build-bench-wasm.sh --check   CI: if the toolchain build-user.sh would use is
#                                         the recorded one, rebuild and compare bytes;
#                                         otherwise check that the committed modules still
#                                         give the recorded checksums (in wasmi and in dx +
#                                         the machine)
#
# The modules are committed because building wasm32 needs the rustc-web setup (or a
# rustup toolchain with rust-src) that stable-only machines lack; build-user.sh remaps
# every path, so a rebuild with the same toolchain is byte-identical.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PROGRAMS=(fib sieve matmul sha256 nbody sort coremark)
DEST=user/bench/wasm
MODE=write
case "${1:-}" in
    "") ;;
    --check) MODE=check ;;
    *) echo "usage: scripts/build-bench-wasm.sh [--check]" >&2; exit 2 ;;
esac

checksums() {
    echo "build-bench-wasm: checking the committed modules' checksums"
    cargo test -q -p selvm --bin selvm bench_wasm::programs::tests
}

# The toolchain scripts/build-user.sh picks (the same test it makes).
DEB_RUSTC="${SELVM_DEBIAN_RUSTC:-/usr/bin/rustc}"
if [ -x "$DEB_RUSTC" ] && [ -d "$("$DEB_RUSTC" --print sysroot 2>/dev/null)/lib/rustlib/src/rust/library/core" ]; then
    RUSTC_BIN="$DEB_RUSTC"
elif command -v rustc >/dev/null 2>&1 && [ -d "$(rustc --print sysroot)/lib/rustlib/src/rust/library/core" ]; then
    RUSTC_BIN="$(command -v rustc)"
else
    RUSTC_BIN=""
fi
VERSION="$([ -n "$RUSTC_BIN" ] && "$RUSTC_BIN" --version || echo none)"
RECORDED="$(cat "$DEST/TOOLCHAIN")"

if [ "$MODE" = check ] && [ "$VERSION" != "$RECORDED" ]; then
    echo "build-bench-wasm: toolchain '$VERSION' is not the recorded '$RECORDED': no byte comparison"
    checksums
    exit 0
fi
[ -n "$RUSTC_BIN" ] || { echo "build-bench-wasm: no toolchain with rust-src: run scripts/setup.sh" >&2; exit 2; }

OUT="$(mktemp -d)"
trap 'rm -rf "$OUT"' EXIT
for p in "${PROGRAMS[@]}"; do
    SELVM_SKIP_DX=1 scripts/build-user.sh --release "user/bench/$p" "$OUT"
done

if [ "$MODE" = write ]; then
    for p in "${PROGRAMS[@]}"; do cp "$OUT/$p.wasm" "$DEST/$p.wasm"; done
    echo "$VERSION" > "$DEST/TOOLCHAIN"
    echo "build-bench-wasm: wrote ${PROGRAMS[*]} to $DEST (built by $VERSION)"
    exit 0
fi
status=0
for p in "${PROGRAMS[@]}"; do
    if ! cmp -s "$OUT/$p.wasm" "$DEST/$p.wasm"; then
        echo "build-bench-wasm: $p.wasm differs from the committed $DEST/$p.wasm (rerun scripts/build-bench-wasm.sh and commit)" >&2
        status=1
    fi
done
[ "$status" = 0 ] && echo "build-bench-wasm: rebuilt modules identical to $DEST"
checksums
exit "$status"
