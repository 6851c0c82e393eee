#!/usr/bin/env bash
# Build a seLVM user program (a Rust crate using libsel4) for wasm32 and, when the
# translator exists, to register bytecode. See --help.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

usage() {
    cat <<EOF2
usage: scripts/build-user.sh [--release] CRATE_DIR [OUT_DIR]

Builds the binary of the user program in CRATE_DIR (e.g. user/hello) for
wasm32-unknown-unknown and writes OUT_DIR/NAME.wasm (default OUT_DIR: target/user),
then, if \`selvm dx\` exists (\`cargo run -p selvm -- dx --help\` works), OUT_DIR/NAME.sbc.

Recipe (the same with either toolchain):
  RUSTC_BOOTSTRAP=1 cargo build --target wasm32-unknown-unknown -Zbuild-std=core,alloc
  RUSTFLAGS: -C target-cpu=mvp and the WebAssembly features dx supports, pinned
    (+$ENABLED_DOC) and every other one disabled, so a toolchain
    update cannot change the instructions emitted; core and alloc are rebuilt with the
    same flags; --remap-path-prefix for the sources, the cargo registry and the
    toolchain's library sources, so paths in the module do not depend on the machine.
  linker: wasm-ld (Debian's lld; versioned names such as wasm-ld-19 are found too).

Toolchain: Debian's rustc-web/cargo-web with rust-web-src (scripts/setup.sh) if
installed, else the default rustup toolchain with the rust-src component.

Environment:
  SELVM_DEBIAN_RUSTC, SELVM_DEBIAN_CARGO  Debian toolchain binaries (default /usr/bin/...)
  SELVM_SKIP_DX=1                         do not run dx even if it exists
EOF2
}

# The WebAssembly features of docs/wasm-abi.md (what dx translates), and the stable ones
# rustc knows that dx does not. -C target-cpu=mvp already starts from no features at
# all, which also keeps out the unstable ones (atomics, exception-handling, gc,
# wide-arithmetic: naming them would only draw rustc warnings).
ENABLED=(mutable-globals sign-ext nontrapping-fptoint bulk-memory multivalue reference-types)
DISABLED=(simd128 relaxed-simd extended-const tail-call)
ENABLED_DOC="${ENABLED[*]}"

die() { echo "build-user: error: $*" >&2; exit 2; }

PROFILE=dev
case "${1:-}" in
    -h | --help) usage; exit 0 ;;
    --release) PROFILE=release; shift ;;
esac
[ "$#" -ge 1 ] && [ "$#" -le 2 ] || { usage >&2; exit 2; }
CRATE="$(cd "$1" && pwd)" || die "no directory $1"
[ -f "$CRATE/Cargo.toml" ] || die "$1 has no Cargo.toml"
OUT="${2:-$ROOT/target/user}"
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"
TARGET=wasm32-unknown-unknown

# First existing program among the names, else the highest versioned NAME-<N> on PATH.
find_program() {
    local name="$1" cand best="" bestv=-1 v dir
    if command -v "$name" >/dev/null 2>&1; then command -v "$name"; return 0; fi
    local IFS=:
    for dir in $PATH; do
        for cand in "$dir/$name"-[0-9]*; do
            [ -x "$cand" ] || continue
            v="${cand##*-}"
            [[ "$v" =~ ^[0-9]+$ ]] || continue
            if [ "$v" -gt "$bestv" ]; then best="$cand"; bestv="$v"; fi
        done
    done
    [ -n "$best" ] && echo "$best"
}

DEB_RUSTC="${SELVM_DEBIAN_RUSTC:-/usr/bin/rustc}"
DEB_CARGO="${SELVM_DEBIAN_CARGO:-/usr/bin/cargo}"
has_src() { [ -d "$("$1" --print sysroot 2>/dev/null)/lib/rustlib/src/rust/library/core" ]; }
if [ -x "$DEB_RUSTC" ] && [ -x "$DEB_CARGO" ] && has_src "$DEB_RUSTC"; then
    RUSTC_BIN="$DEB_RUSTC"; CARGO_BIN="$DEB_CARGO"
    unset RUSTUP_TOOLCHAIN RUSTDOC
elif command -v rustc >/dev/null 2>&1 && has_src rustc; then
    RUSTC_BIN="$(command -v rustc)"; CARGO_BIN="$(command -v cargo)"
else
    die "no toolchain with the standard library's sources: run scripts/setup.sh (Debian) or \`rustup component add rust-src\`"
fi
LINKER="$(find_program wasm-ld)" || die "no wasm-ld on PATH: install Debian's lld (scripts/setup.sh)"

SYSROOT="$("$RUSTC_BIN" --print sysroot)"
FEATURES="$(printf '+%s,' "${ENABLED[@]}")$(printf -- '-%s,' "${DISABLED[@]}")"
RUSTFLAGS_USER=(
    -C target-cpu=mvp
    -C "target-feature=${FEATURES%,}"
    "--remap-path-prefix=$ROOT=/selvm"
    "--remap-path-prefix=${CARGO_HOME:-$HOME/.cargo}=/cargo"
    "--remap-path-prefix=$SYSROOT/lib/rustlib/src/rust=/rustc"
)

TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}/user-build"
NAME="$(sed -n 's/^name *= *"\(.*\)"/\1/p' "$CRATE/Cargo.toml" | head -n1)"
[ -n "$NAME" ] || die "cannot read the package name from $CRATE/Cargo.toml"
PROFILE_ARGS=(); PROFILE_DIR=debug
[ "$PROFILE" = release ] && { PROFILE_ARGS=(--release); PROFILE_DIR=release; }

echo "build-user: $NAME for $TARGET with $("$RUSTC_BIN" --version), features ${FEATURES%,}" >&2
(
    cd "$CRATE"
    export RUSTC_BOOTSTRAP=1 RUSTC="$RUSTC_BIN"
    export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER="$LINKER"
    export CARGO_ENCODED_RUSTFLAGS="$(IFS=$'\x1f'; echo "${RUSTFLAGS_USER[*]}")"
    unset RUSTFLAGS
    "$CARGO_BIN" build --bin "$NAME" --target "$TARGET" -Zbuild-std=core,alloc \
        --target-dir "$TARGET_DIR" "${PROFILE_ARGS[@]}"
)
WASM="$OUT/$NAME.wasm"
cp "$TARGET_DIR/$TARGET/$PROFILE_DIR/$NAME.wasm" "$WASM"
echo "build-user: wrote $WASM" >&2

if [ "${SELVM_SKIP_DX:-0}" = 1 ]; then
    exit 0
fi
cd "$ROOT"
if cargo run -q -p selvm -- dx --help >/dev/null 2>&1; then
    cargo run -q -p selvm -- dx "$WASM" -o "$OUT/$NAME.sbc"
    echo "build-user: wrote $OUT/$NAME.sbc" >&2
else
    echo "build-user: \`selvm dx\` not available yet: stopping at $WASM" >&2
fi
