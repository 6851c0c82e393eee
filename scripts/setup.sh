#!/usr/bin/env bash
# Prepare a machine to build and test seLVM: `cargo xtask test` runs this first.
#
# - On Debian, installs the second Rust toolchain used for cross builds
#   (rustc-web cargo-web rust-web-src lld; see docs/build.md and `cargo xtask cross
#   --help`), unless the default (rustup) toolchain already has every cross target.
# - On Debian, installs the tools the tests and benchmarks use: valgrind
#   (`cargo xtask valgrind`), lua5.4 (the peer in `selvm bench vm`), and qemu's
#   riscv64 system emulator with OpenSBI (`cargo xtask qemu`: the native platform).
# - On Debian, installs mingw-w64's gcc (the linker of `selvm.exe`, `cargo xtask
#   windows`), wine (which runs it in the tests), and Xvfb with xwd (the desktop
#   window's tests on a virtual X server; docs/windows.md).
# - On Debian, installs chromium and npm for the browser page's tests (`cargo xtask
#   web --test`, docs/web.md), and its npm packages (xterm.js, playwright-core) with
#   `npm ci` in hosts/web when node_modules is missing or older than the lock file.
# - Fetches the workspace's crates, and the standard library's crates that
#   -Zbuild-std needs, so later steps work offline.
# Idempotent; silent when there is nothing to do. Fuzzing (cargo-fuzz, nightly)
# is a separate manual step and is not set up here.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

# Targets `cargo xtask test` cross-builds (xtask/src/toolchain.rs: CROSS_TARGETS).
CROSS_TARGETS=(riscv64gc-unknown-none-elf wasm32-unknown-unknown)
APT_PACKAGES=(rustc-web cargo-web rust-web-src lld)
TOOL_PACKAGES=(valgrind lua5.4 qemu-system-misc opensbi gcc-mingw-w64-x86-64 wine wine64 xvfb x11-apps)
# Commands of the browser tests, installed from these packages when not on PATH (npm
# may come with another nodejs package, such as nodesource's).
WEB_TOOLS=(chromium npm)
DEB_RUSTC="${SELVM_DEBIAN_RUSTC:-/usr/bin/rustc}"
DEB_CARGO="${SELVM_DEBIAN_CARGO:-/usr/bin/cargo}"

die() { echo "setup: error: $*" >&2; exit 1; }
trap 'echo "setup: error: command failed (status $?) at line $LINENO: $BASH_COMMAND" >&2' ERR

command -v cargo >/dev/null 2>&1 || die "no cargo on PATH: install Rust with rustup (https://rustup.rs)"

# Does the default toolchain have the precompiled standard library for $1?
has_target() {
    local libdir
    libdir="$(rustc --print target-libdir --target "$1" 2>/dev/null)" || return 1
    compgen -G "$libdir/libcore-*.rlib" >/dev/null
}

# apt_install PACKAGE...: installs those of the Debian packages that are missing.
apt_install() {
    local missing=() p status
    for p in "$@"; do
        status="$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null || true)"
        [[ "$status" == ii* ]] || missing+=("$p")
    done
    [ "${#missing[@]}" -gt 0 ] || return 0
    local sudo=()
    if [ "$(id -u)" != 0 ]; then
        command -v sudo >/dev/null 2>&1 || die "need root to install ${missing[*]}: run as root, or install sudo"
        sudo=(sudo)
    fi
    echo "setup: installing ${missing[*]}"
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq \
        || die "apt-get update failed"
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
        --no-install-recommends "${missing[@]}" >/dev/null \
        || die "apt-get install ${missing[*]} failed"
}

if command -v dpkg-query >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
    apt_install "${TOOL_PACKAGES[@]}"
    for tool in "${WEB_TOOLS[@]}"; do
        command -v "$tool" >/dev/null 2>&1 || apt_install "$tool"
    done
else
    for tool in valgrind lua5.4 qemu-system-riscv64 chromium npm; do
        command -v "$tool" >/dev/null 2>&1 || echo "setup: warning: $tool not found (not a Debian system): install it for cargo xtask test and selvm bench vm" >&2
    done
fi

need_debian=0
for t in "${CROSS_TARGETS[@]}"; do
    has_target "$t" || need_debian=1
done

if [ "$need_debian" = 1 ]; then
    if ! command -v dpkg-query >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
        die "not a Debian system and the default toolchain lacks a cross target: run \`rustup target add ${CROSS_TARGETS[*]}\`"
    fi
    apt_install "${APT_PACKAGES[@]}"
    if [ ! -x "$DEB_RUSTC" ] || [ ! -x "$DEB_CARGO" ]; then
        die "$DEB_RUSTC or $DEB_CARGO missing after installing ${APT_PACKAGES[*]}"
    fi
fi

# Crates for the workspace (all platforms).
cargo fetch || die "cargo fetch failed (is crates.io reachable?)"

# Crates for -Zbuild-std (the standard library's own dependencies), per target
# that the Debian toolchain will build.
if [ "$need_debian" = 1 ]; then
    fetch_args=()
    for t in "${CROSS_TARGETS[@]}"; do
        has_target "$t" || fetch_args+=(--target "$t")
    done
    RUSTC_BOOTSTRAP=1 RUSTC="$DEB_RUSTC" "$DEB_CARGO" fetch \
        -Zbuild-std=core,alloc "${fetch_args[@]}" \
        || die "cargo fetch -Zbuild-std with $DEB_CARGO failed (is crates.io reachable?)"
fi

# Crates of the native riscv64 platform (its own workspace, always built with
# -Zbuild-std for riscv64imac-unknown-none-elf by `cargo xtask kernel-elf` / `qemu`).
if [ -x "$DEB_RUSTC" ] && [ -x "$DEB_CARGO" ]; then
    RUSTC_BOOTSTRAP=1 RUSTC="$DEB_RUSTC" "$DEB_CARGO" fetch \
        --manifest-path platforms/riscv64-virt/Cargo.toml \
        -Zbuild-std=core,alloc --target riscv64imac-unknown-none-elf \
        || die "cargo fetch for platforms/riscv64-virt failed (is crates.io reachable?)"
fi

# The browser page (hosts/web): std for wasm32 from source, and its npm packages.
if [ -x "$DEB_RUSTC" ] && [ -x "$DEB_CARGO" ]; then
    RUSTC_BOOTSTRAP=1 RUSTC="$DEB_RUSTC" "$DEB_CARGO" fetch \
        -Zbuild-std=std,panic_abort --target wasm32-unknown-unknown \
        || die "cargo fetch -Zbuild-std=std,panic_abort failed (is crates.io reachable?)"
fi
# selvm.exe (`cargo xtask windows`): std for Windows from source.
if [ -x "$DEB_RUSTC" ] && [ -x "$DEB_CARGO" ]; then
    RUSTC_BOOTSTRAP=1 RUSTC="$DEB_RUSTC" "$DEB_CARGO" fetch \
        -Zbuild-std=std,panic_abort --target x86_64-win7-windows-gnu \
        || die "cargo fetch -Zbuild-std for x86_64-win7-windows-gnu failed (is crates.io reachable?)"
fi
if command -v npm >/dev/null 2>&1; then
    if [ ! hosts/web/node_modules/.package-lock.json -nt hosts/web/package-lock.json ]; then
        echo "setup: npm ci in hosts/web (xterm.js, playwright-core)"
        (cd hosts/web && npm ci --no-audit --no-fund --silent) || die "npm ci in hosts/web failed (is registry.npmjs.org reachable?)"
    fi
fi
