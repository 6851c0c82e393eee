#!/usr/bin/env bash
# Build library crates for a bare-metal or wasm target with whichever Rust
# toolchain can do it. See --help.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

usage() {
    cat <<EOF
usage: scripts/cross-build.sh TARGET PACKAGE...

Builds the library of each PACKAGE (cargo build --lib -p PACKAGE ...) for TARGET,
e.g.  scripts/cross-build.sh riscv64gc-unknown-none-elf selvm-abi selvm-kernel
      scripts/cross-build.sh wasm32-unknown-unknown selvm-abi

Toolchain choice:
  1. If the default rustc (the one \`cargo\` on PATH uses in this workspace) has
     the standard library for TARGET (\`rustup target add TARGET\` done, i.e.
     \`rustup target list --installed\` shows it), plain
     \`cargo build --target TARGET\` is used (normal target directory).
  2. Otherwise Debian's rustc-web/cargo-web (installed by scripts/setup.sh) build
     core and alloc from source:
       RUSTC_BOOTSTRAP=1 RUSTC=/usr/bin/rustc /usr/bin/cargo build \\
         --target TARGET -Zbuild-std=core,alloc --target-dir target/web
     linking with lld (ld.lld, or wasm-ld for wasm targets; versioned names such
     as ld.lld-14 are found too). Artifacts land in target/web (or
     \$CARGO_TARGET_DIR/web) so the two toolchains never rebuild each other's
     artifacts.
  3. If neither exists: exits with status 2 and says what to install.

Environment:
  SELVM_CROSS_TOOLCHAIN=rustup|debian  force a toolchain instead of choosing.
  SELVM_DEBIAN_RUSTC, SELVM_DEBIAN_CARGO  Debian toolchain binaries
                                        (default /usr/bin/rustc, /usr/bin/cargo).
  Extra cargo arguments can follow the packages after "--", e.g. -- --release.
EOF
}

die() { echo "cross-build: error: $*" >&2; exit 2; }

case "${1:-}" in
    -h | --help) usage; exit 0 ;;
    "" | -*) usage >&2; exit 2 ;;
esac
TARGET="$1"; shift
[ "$#" -gt 0 ] || die "no PACKAGE given (try --help)"

PKG_ARGS=()
while [ "$#" -gt 0 ]; do
    if [ "$1" = "--" ]; then shift; break; fi
    PKG_ARGS+=(-p "$1"); shift
done
EXTRA_ARGS=("$@")

cd "$ROOT"

# 1. Does the default toolchain ship the target's precompiled core?
rustup_has_target() {
    command -v rustc >/dev/null 2>&1 && command -v cargo >/dev/null 2>&1 || return 1
    local libdir
    libdir="$(rustc --print target-libdir --target "$TARGET" 2>/dev/null)" || return 1
    compgen -G "$libdir/libcore-*.rlib" >/dev/null
}

# 2. Debian's rustc-web with rust-web-src (sources for -Zbuild-std).
DEB_RUSTC="${SELVM_DEBIAN_RUSTC:-/usr/bin/rustc}"
DEB_CARGO="${SELVM_DEBIAN_CARGO:-/usr/bin/cargo}"
debian_available() {
    [ -x "$DEB_RUSTC" ] && [ -x "$DEB_CARGO" ] || return 1
    local sysroot
    sysroot="$("$DEB_RUSTC" --print sysroot 2>/dev/null)" || return 1
    [ -d "$sysroot/lib/rustlib/src/rust/library/core" ]
}

# First existing program among the given names, else the highest versioned
# NAME-<N> on PATH (Debian's lld installs e.g. ld.lld-14, wasm-ld-14).
find_linker() {
    local name cand best="" bestv=-1 v dir
    for name in "$@"; do
        if command -v "$name" >/dev/null 2>&1; then command -v "$name"; return 0; fi
    done
    for name in "$@"; do
        local IFS=:
        for dir in $PATH; do
            for cand in "$dir/$name"-[0-9]*; do
                [ -x "$cand" ] || continue
                v="${cand##*-}"
                [[ "$v" =~ ^[0-9]+$ ]] || continue
                if [ "$v" -gt "$bestv" ]; then best="$cand"; bestv="$v"; fi
            done
        done
    done
    [ -n "$best" ] && echo "$best"
}

choice="${SELVM_CROSS_TOOLCHAIN:-}"
if [ -z "$choice" ]; then
    if rustup_has_target; then
        choice=rustup
    elif debian_available; then
        choice=debian
    else
        die "no toolchain can build $TARGET: either \`rustup target add $TARGET\`, or run scripts/setup.sh (Debian: installs rustc-web cargo-web rust-web-src lld)"
    fi
fi

case "$choice" in
    rustup)
        rustup_has_target || die "SELVM_CROSS_TOOLCHAIN=rustup but the default toolchain has no $TARGET (rustup target add $TARGET)"
        echo "cross-build: $TARGET with $(rustc --version) (installed target)" >&2
        exec cargo build --lib --target "$TARGET" "${PKG_ARGS[@]}" "${EXTRA_ARGS[@]}"
        ;;
    debian)
        debian_available || die "Debian toolchain missing: need $DEB_RUSTC, $DEB_CARGO and rust-web-src (run scripts/setup.sh)"
        case "$TARGET" in
            wasm32* | wasm64*) linker="$(find_linker wasm-ld)" || true; lname=wasm-ld ;;
            *) linker="$(find_linker ld.lld)" || true; lname=ld.lld ;;
        esac
        [ -n "${linker:-}" ] || die "no $lname (or $lname-<N>) on PATH: install Debian's lld (scripts/setup.sh)"
        # The linker goes in through cargo's per-target setting rather than
        # RUSTFLAGS, so RUSTFLAGS/build.rustflags from the user stay in effect.
        target_env="$(echo "$TARGET" | tr 'a-z.-' 'A-Z__')"
        export "CARGO_TARGET_${target_env}_LINKER=$linker"
        export RUSTC_BOOTSTRAP=1 RUSTC="$DEB_RUSTC"
        # rustup-only variables must not leak into the Debian toolchain.
        unset RUSTUP_TOOLCHAIN RUSTDOC
        echo "cross-build: $TARGET with $("$DEB_RUSTC" --version) -Zbuild-std=core,alloc, linker $linker" >&2
        exec "$DEB_CARGO" build --lib --target "$TARGET" -Zbuild-std=core,alloc \
            --target-dir "${CARGO_TARGET_DIR:-$ROOT/target}/web" \
            "${PKG_ARGS[@]}" "${EXTRA_ARGS[@]}"
        ;;
    *) die "SELVM_CROSS_TOOLCHAIN must be rustup or debian, not '$choice'" ;;
esac
