//! A CoreMark-like mixed kernel (modelled on CoreMark's structure, not its code): per
//! iteration a linked-list pass (find, reverse, merge sort by value and back by index),
//! a 16-bit matrix pass (add and multiply by a constant, matrix-vector and
//! matrix-matrix products, bit extraction), a state machine that classifies the tokens of
//! a text of numbers, and a bitwise CRC-16 that folds every partial result. `run(n)`
//! does n iterations and returns the final CRC and a total.

#![no_std]
#![no_main]

use bench_common::{Lcg, Static};

const NODES: usize = 96;
const DIM: usize = 12;
const TEXT: usize = 400;
const NIL: u16 = u16::MAX;

#[derive(Clone, Copy)]
struct Node {
    next: u16,
    value: i16,
    index: u16,
}

struct State {
    nodes: [Node; NODES],
    a: [i16; DIM * DIM],
    b: [i16; DIM * DIM],
    c: [i32; DIM * DIM],
    text: [u8; TEXT],
}

static STATE: Static<State> = Static::new(State {
    nodes: [Node { next: NIL, value: 0, index: 0 }; NODES],
    a: [0; DIM * DIM],
    b: [0; DIM * DIM],
    c: [0; DIM * DIM],
    text: [0; TEXT],
});

/// CRC-16 (reflected polynomial 0xA001) of one 16-bit value, bit by bit.
fn crc16(value: u16, mut crc: u16) -> u16 {
    for byte in value.to_le_bytes() {
        let mut data = byte;
        for _ in 0..8 {
            let x = (data ^ crc as u8) & 1;
            data >>= 1;
            crc = if x != 0 { (crc >> 1) ^ 0xA001 } else { crc >> 1 };
        }
    }
    crc
}

fn list_reverse(nodes: &mut [Node], mut head: u16) -> u16 {
    let mut prev = NIL;
    while head != NIL {
        let next = nodes[head as usize].next;
        nodes[head as usize].next = prev;
        prev = head;
        head = next;
    }
    prev
}

/// Bottom-up merge sort of the list at `head` by `key`.
fn list_sort(nodes: &mut [Node], mut head: u16, by_value: bool) -> u16 {
    let key = |n: &Node| if by_value { n.value as i32 } else { n.index as i32 };
    let mut width = 1;
    loop {
        let (mut p, mut tail, mut merges) = (head, NIL, 0);
        head = NIL;
        while p != NIL {
            merges += 1;
            let mut q = p;
            let mut psize = 0;
            while psize < width && q != NIL {
                psize += 1;
                q = nodes[q as usize].next;
            }
            let mut qsize = width;
            while psize > 0 || (qsize > 0 && q != NIL) {
                let take_p = qsize == 0
                    || q == NIL
                    || (psize > 0 && key(&nodes[p as usize]) <= key(&nodes[q as usize]));
                let e = if take_p {
                    let e = p;
                    p = nodes[p as usize].next;
                    psize -= 1;
                    e
                } else {
                    let e = q;
                    q = nodes[q as usize].next;
                    qsize -= 1;
                    e
                };
                if tail == NIL {
                    head = e;
                } else {
                    nodes[tail as usize].next = e;
                }
                tail = e;
            }
            p = q;
        }
        nodes[tail as usize].next = NIL;
        if merges <= 1 {
            return head;
        }
        width *= 2;
    }
}

#[inline(never)]
fn list_pass(nodes: &mut [Node; NODES], seed: u16, mut crc: u16) -> u16 {
    let mut rng = Lcg(seed as u32);
    for (i, n) in nodes.iter_mut().enumerate() {
        n.next = if i + 1 < NODES { i as u16 + 1 } else { NIL };
        n.value = (rng.next_u32() >> 20) as i16 - 2048;
        n.index = i as u16;
    }
    let mut head = 0;
    // Find: walk to each of a few values, counting steps (a miss walks the whole list).
    for target in [seed as i16 & 0x7ff, -17, 1000, 3] {
        let (mut p, mut steps) = (head, 0u16);
        while p != NIL && nodes[p as usize].value != target {
            p = nodes[p as usize].next;
            steps += 1;
        }
        crc = crc16(steps, crc);
    }
    head = list_reverse(nodes, head);
    head = list_sort(nodes, head, true);
    let (mut p, mut k) = (head, 0);
    while p != NIL {
        if k % 8 == 0 {
            crc = crc16(nodes[p as usize].value as u16, crc);
        }
        p = nodes[p as usize].next;
        k += 1;
    }
    head = list_sort(nodes, head, false);
    crc16(nodes[head as usize].index ^ nodes[list_reverse(nodes, head) as usize].index, crc)
}

#[inline(never)]
fn matrix_pass(a: &mut [i16; DIM * DIM], b: &mut [i16; DIM * DIM], c: &mut [i32; DIM * DIM], seed: u16, mut crc: u16) -> u16 {
    for i in 0..DIM * DIM {
        a[i] = ((i as u16).wrapping_mul(seed) & 0xff) as i16;
        b[i] = ((i as u16 ^ seed) & 0xff) as i16 - 128;
    }
    let fold = |c: &[i32; DIM * DIM], crc: u16| c.iter().fold(0i32, |s, &x| s.wrapping_add(x)) as u16 ^ crc;
    // A += k, C = A * k
    for x in a.iter_mut() {
        *x = x.wrapping_add(seed as i16 & 7);
    }
    for i in 0..DIM * DIM {
        c[i] = a[i] as i32 * (seed as i32 & 0xf);
    }
    crc = crc16(fold(c, crc), crc);
    // C = A * v (v = row 0 of B), into the first column of C.
    for i in 0..DIM {
        let mut s = 0i32;
        for j in 0..DIM {
            s = s.wrapping_add(a[i * DIM + j] as i32 * b[j] as i32);
        }
        c[i * DIM] = s;
    }
    crc = crc16(fold(c, crc), crc);
    // C = A * B, then with bit extraction of each product.
    for bits in [false, true] {
        for i in 0..DIM {
            for j in 0..DIM {
                let mut s = 0i32;
                for k in 0..DIM {
                    let p = a[i * DIM + k] as i32 * b[k * DIM + j] as i32;
                    s = s.wrapping_add(if bits { (p >> 2) & 0xf } else { p });
                }
                c[i * DIM + j] = s;
            }
        }
        crc = crc16(fold(c, crc), crc);
    }
    crc
}

#[derive(Clone, Copy, PartialEq)]
enum Token {
    Start,
    Int,
    Float,
    Exp,
    ExpDigits,
    Invalid,
}

#[inline(never)]
fn state_pass(text: &mut [u8; TEXT], seed: u16, mut crc: u16) -> u16 {
    const PIECES: [&[u8]; 8] = [b"5012", b"1.5e-3", b"-190", b"+.25", b"7e9", b"x1a", b"0.0", b"-e2"];
    let mut rng = Lcg(seed as u32 ^ 0x5eed);
    let mut len = 0;
    while len + 8 < TEXT {
        for &ch in PIECES[(rng.next_u32() >> 29) as usize] {
            text[len] = ch;
            len += 1;
        }
        text[len] = b',';
        len += 1;
    }
    let mut counts = [0u16; 6];
    let mut transitions = 0u16;
    let mut state = Token::Start;
    for &ch in &text[..len] {
        let next = match (state, ch) {
            (_, b',') => {
                counts[state as usize] += 1;
                Token::Start
            }
            (Token::Start, b'0'..=b'9') => Token::Int,
            (Token::Start, b'+' | b'-') => Token::Int,
            (Token::Start | Token::Int, b'.') => Token::Float,
            (Token::Int | Token::Float, b'0'..=b'9') => state,
            (Token::Int | Token::Float, b'e' | b'E') => Token::Exp,
            (Token::Exp, b'+' | b'-' | b'0'..=b'9') => Token::ExpDigits,
            (Token::ExpDigits, b'0'..=b'9') => Token::ExpDigits,
            _ => Token::Invalid,
        };
        if next != state {
            transitions += 1;
        }
        state = next;
    }
    for c in counts {
        crc = crc16(c, crc);
    }
    crc16(transitions, crc)
}

/// The benchmark entry (see the module doc).
#[unsafe(no_mangle)]
pub extern "C" fn run(n: i32) -> i64 {
    // SAFETY: the only reference taken in this run.
    let s = unsafe { STATE.get() };
    let mut crc = 0u16;
    let mut total = 0u32;
    for i in 0..n as u32 {
        let seed = (i as u16).wrapping_mul(0x3b1) ^ crc;
        crc = list_pass(&mut s.nodes, seed, crc);
        crc = matrix_pass(&mut s.a, &mut s.b, &mut s.c, seed, crc);
        crc = state_pass(&mut s.text, seed, crc);
        total = total.wrapping_add(crc as u32);
    }
    ((total as i64) << 16) | crc as i64
}
