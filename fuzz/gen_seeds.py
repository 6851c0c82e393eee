#!/usr/bin/env python3
"""Writes the generated part of the seed corpus, corpus/kernel_invocations/seed-000 to seed-029.

Deterministic (fixed PRNG seed). The inputs follow the `arbitrary` encoding of
`selvm_kernel_testkit::ops::Op` (kernel/testkit/src/ops.rs): an enum is a
little-endian u32 tag whose variant is `(tag * variants) >> 32`, then its
fields in order; integers are little-endian; `bool` is a byte's low bit.
Re-run it after changing `Op` (and check the replay test's histogram). The
seeds numbered from seed-100 on are minimized inputs the fuzzer found (picked
from `cargo fuzz cmin` output); this script does not write them.
"""

import os
import random
import struct

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "kernel_invocations")
OPS = ["retype", "copy", "mint", "move", "mutate", "rotate", "delete", "revoke",
       "cancel_badged_sends", "save_caller", "raw"]
# Object types (ty % 11): Untyped 0, Tcb 1, Endpoint 2, Notification 3, CNode 4, ... 9, 10 invalid.
UNTYPED, TCB, ENDPOINT, NOTIFICATION, CNODE = 0, 1, 2, 3, 4


def tag(index, count):
    """The smallest u32 tag that selects variant `index` of `count`."""
    return struct.pack("<I", -(-(index << 32) // count))


def u8(x):
    return bytes([x & 0xFF])


def addr(root=0, path=(0, 0, 0), levels=0, garble=255):
    """Addr: root CNode choice, slot choice per level (bit 7: a non-empty slot),
    levels walked = 1 + levels % 3, garble < 24 corrupts the address."""
    return u8(root) + bytes(p & 0xFF for p in path) + u8(levels) + u8(garble)


def badge(b):
    return tag(0, 3) + u8(b)


def guard(size, value):
    return tag(1, 3) + u8(size) + u8(value)


def raw_data(w):
    return tag(2, 3) + struct.pack("<Q", w)


def op(name, body):
    return tag(OPS.index(name), len(OPS)) + body


def retype(untyped, ty, size, dest, offset, count):
    return op("retype", u8(untyped) + u8(ty) + u8(size) + dest + u8(offset) + u8(count))


def copy(dest, src, rights=0xF):
    return op("copy", dest + src + u8(rights))


def mint(dest, src, rights, data):
    return op("mint", dest + src + u8(rights) + data)


def move(dest, src):
    return op("move", dest + src)


def mutate(dest, src, data):
    return op("mutate", dest + src + data)


def rotate(dest, pivot, src, same, dest_data, pivot_data):
    return op("rotate", dest + pivot + src + u8(1 if same else 0) + dest_data + pivot_data)


def slot_op(name, a):
    return op(name, a)


def raw(cptr, label, mrs, extra=()):
    mrs = list(mrs)[:8]
    regs = b"".join(struct.pack("<Q", m & (2**64 - 1)) for m in mrs + [0] * (8 - len(mrs)))
    extra = list(extra)[:3]
    ex = b"".join(struct.pack("<H", e) for e in extra + [0] * (3 - len(extra)))
    return op("raw", struct.pack("<H", cptr) + u8(label) + regs + u8(len(mrs)) + ex + u8(len(extra)))


def used(rng, levels=None):
    """A well-formed address of a non-empty slot."""
    lv = rng.randrange(3) if levels is None else levels
    return addr(rng.randrange(256), [0x80 | rng.randrange(128) for _ in range(3)], lv)


def free(rng, levels=None):
    """A well-formed destination (the executor prefers empty slots)."""
    lv = rng.randrange(3) if levels is None else levels
    return addr(rng.randrange(256), [rng.randrange(128) for _ in range(3)], lv)


def random_op(rng, weights):
    kind = rng.choices(list(weights), list(weights.values()))[0]
    garbled = rng.random() < 0.1
    a = lambda: addr(rng.randrange(256), [rng.randrange(256) for _ in range(3)],
                     rng.randrange(256), rng.randrange(24) if garbled else 255)
    s, d = (a, a) if garbled else (lambda: used(rng), lambda: free(rng))
    data = lambda: rng.choice([badge(rng.randrange(256)), guard(rng.randrange(5), rng.randrange(256)),
                               raw_data(rng.getrandbits(64))])
    if kind == "retype":
        return retype(rng.randrange(8), rng.choice([ENDPOINT, NOTIFICATION, CNODE, UNTYPED, TCB, rng.randrange(256)]),
                      rng.randrange(250), free(rng, rng.choice([0, 1, 2, 3])), rng.randrange(256), rng.randrange(256))
    if kind == "copy":
        return copy(d(), s(), rng.randrange(16))
    if kind == "mint":
        return mint(d(), s(), rng.randrange(16), data())
    if kind == "move":
        return move(d(), s())
    if kind == "mutate":
        return mutate(d(), s(), data())
    if kind == "rotate":
        return rotate(d(), s(), s(), rng.random() < 0.3, data(), data())
    if kind == "raw":
        return raw(rng.randrange(512), rng.randrange(40), [rng.getrandbits(rng.choice([4, 8, 64])) for _ in range(rng.randrange(9))],
                   [rng.randrange(64) for _ in range(rng.randrange(4))])
    return slot_op(kind, s())


def main():
    rng = random.Random(0x5E1F)
    seeds = []

    # 000: empty input (the prelude alone).
    seeds.append(b"")
    # 001: fill the root CNode with endpoints and notifications, then badge them.
    s = b""
    for off in range(0, 40, 4):
        s += retype(off, ENDPOINT if off % 8 else NOTIFICATION, 0, addr(levels=0), off, 2)
    for b in range(1, 9):
        s += mint(free(rng, 0), used(rng, 0), 0xF, badge(b))
    seeds.append(s)
    # 002: a copy/mint derivation tree, then revoke and delete along it.
    s = retype(0, ENDPOINT, 0, addr(levels=0), 30, 1)
    for _ in range(12):
        s += rng.choice([copy(free(rng), used(rng)), mint(free(rng), used(rng), 0x7, badge(rng.randrange(1, 255)))])
    for _ in range(6):
        s += slot_op(rng.choice(["revoke", "delete", "cancel_badged_sends"]), used(rng))
    seeds.append(s)
    # 003: new CNodes, guards via mutate and mint, deeper walks.
    s = retype(1, CNODE, 3, addr(levels=0), 20, 2)
    s += mutate(free(rng, 0), used(rng, 0), guard(2, 1))
    s += mint(free(rng, 0), used(rng, 0), 0xF, guard(3, 5))
    for _ in range(10):
        s += rng.choice([copy(free(rng, 2), used(rng, 1)), move(free(rng, 1), used(rng, 2)),
                         slot_op("delete", used(rng, 2))])
    seeds.append(s)
    # 004: rotations and swaps.
    s = retype(0, NOTIFICATION, 0, addr(levels=0), 25, 3)
    for _ in range(10):
        s += rotate(free(rng), used(rng), used(rng), rng.random() < 0.5, badge(rng.randrange(9)), badge(rng.randrange(9)))
    seeds.append(s)
    # 005: nested untypeds: retype untyped from untyped, then objects from the child, then revoke the parent.
    s = retype(0, UNTYPED, 4, addr(levels=0), 22, 2)
    s += retype(5, ENDPOINT, 0, addr(levels=0), 28, 3) + retype(6, CNODE, 2, addr(levels=0), 33, 1)
    s += slot_op("revoke", used(rng, 0)) + retype(5, NOTIFICATION, 0, addr(levels=0), 36, 2)
    seeds.append(s)
    # 006: delete and revoke the caller's own CSpace caps and the multi-level CNodes.
    s = b"".join(slot_op(k, addr(r, (0x80 | p, 0x81, 0x82), lv)) for k in ("delete", "revoke")
                 for r in range(3) for p in (1, 2, 3) for lv in (0, 1))
    seeds.append(s)
    # 007: SaveCaller, CancelBadgedSends and every kind of garbled address.
    s = b"".join(slot_op(k, addr(1, (0x81, 0x82, 3), 1, g)) for k in ("save_caller", "cancel_badged_sends", "delete")
                 for g in range(0, 24, 3))
    seeds.append(s)
    # 008: raw invocations: well-formed CNode invocations on the root CNode (cptr 2,
    # depth 64), then every label to boot caps, CNodes and untypeds.
    s = b"".join(raw(2, 19, [100 + i, 64, c, 64, 0xF], [2]) for i, c in enumerate((1, 2, 3, 9, 10)))
    s += raw(2, 20, [110, 64, 100, 64, 0x3, 7], [2]) + raw(2, 21, [120, 64, 101, 64], [2])
    s += raw(2, 22, [121, 64, 120, 64, 2 | (1 << 6)], [2]) + raw(2, 23, [130, 64, 0, 102, 64, 0, 103, 64], [2, 2])
    s += raw(2, 17, [110, 64]) + raw(2, 16, [100, 64]) + raw(2, 18, [130, 64])
    s += b"".join(raw(c, lab, [rng.getrandbits(6) for _ in range(6)], [2, rng.randrange(32)])
                 for c in (1, 2, 3, 12, 14, 16) for lab in range(0, 40, 5))
    seeds.append(s)
    # 009: oversized and invalid retype requests.
    s = b"".join(retype(u, ty, sz, addr(levels=lv), off, cnt) for u, ty, sz, lv, off, cnt in
                 [(0, 9, 0, 0, 1, 0), (0, 10, 0, 0, 2, 0), (1, UNTYPED, 252, 0, 3, 2), (0, CNODE, 255, 0, 4, 1),
                  (2, 5, 0, 0, 5, 0), (3, 7, 1, 1, 39, 2), (0, ENDPOINT, 0, 2, 0, 2), (0, TCB, 0, 3, 24, 1)])
    seeds.append(s)

    # Structure-aware random sequences with different emphases.
    mixes = [
        {k: 1 for k in OPS},
        {"retype": 3, "copy": 3, "mint": 3, "delete": 2, "revoke": 2},
        {"retype": 2, "move": 3, "mutate": 3, "rotate": 3, "delete": 1},
        {"retype": 4, "revoke": 3, "delete": 3, "copy": 2},
        {"mint": 3, "cancel_badged_sends": 2, "save_caller": 2, "raw": 3, "retype": 2},
    ]
    for i in range(12):
        mix = mixes[i % len(mixes)]
        n = rng.choice([8, 24, 64, 160])
        seeds.append(b"".join(random_op(rng, mix) for _ in range(n)))

    # Plain pseudo-random bytes of varying lengths.
    for n in (1, 7, 33, 100, 256, 700, 1500, 4096):
        seeds.append(bytes(rng.getrandbits(8) for _ in range(n)))

    os.makedirs(OUT, exist_ok=True)
    for i, s in enumerate(seeds):
        with open(os.path.join(OUT, f"seed-{i:03}"), "wb") as f:
            f.write(s)
    print(f"wrote {len(seeds)} seeds, {sum(map(len, seeds))} bytes, to {OUT}")


if __name__ == "__main__":
    main()
