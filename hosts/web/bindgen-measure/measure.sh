#!/bin/sh
# Builds the page's boundary in miniature (src/lib.rs) twice with the page's toolchain
# (Debian's rustc-web, -Zbuild-std=std,panic_abort) and profile, as raw exports and
# with wasm-bindgen (before its CLI, which is not available here), and prints each
# module's size, gzipped size, exports and custom sections (docs/web.md). About 2
# minutes of CPU from clean; wasm-bindgen comes from the cargo cache or the registry.
set -eu
cd "$(dirname "$0")"
out=../../../target/bindgen-measure
export RUSTC=/usr/bin/rustc RUSTC_BOOTSTRAP=1 CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER=/usr/bin/wasm-ld
for variant in raw bindgen; do
    features=""
    [ "$variant" = bindgen ] && features="--features bindgen"
    # shellcheck disable=SC2086
    /usr/bin/cargo build --release --target wasm32-unknown-unknown \
        -Zbuild-std=std,panic_abort $features --target-dir "$out/$variant"
    wasm="$out/$variant/wasm32-unknown-unknown/release/bindgen_measure.wasm"
    node -e '
const b = require("fs").readFileSync(process.argv[1]);
const m = new WebAssembly.Module(b);
const ex = WebAssembly.Module.exports(m);
let i = 8; const custom = [];
const leb = () => { let r = 0, s = 0, x; do { x = b[i++]; r |= (x & 0x7f) << s; s += 7; } while (x & 0x80); return r; };
while (i < b.length) { const id = b[i++]; const len = leb(); const at = i; if (id === 0) { const n = leb(); custom.push(`${b.slice(i, i + n)} ${len} B`); } i = at + len; }
console.log(`${process.argv[2]}: ${b.length} B, ${require("zlib").gzipSync(b, { level: 9 }).length} B gzipped, ${ex.length} exports (${ex.filter((e) => e.name.startsWith("__wbindgen_describe")).length} describe), custom sections: ${custom.join(", ") || "none"}`);
' "$wasm" "$variant"
done
