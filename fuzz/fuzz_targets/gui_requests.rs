//! The display server's request decoder (user/gui-protocol) under hostile messages: the
//! first bytes choose the sender, label, length and extra-cap count, the rest are the
//! message registers. Any panic is a finding; so is an accepted request that does not
//! encode back to the registers it came from, or an error without its code.

#![no_main]

use libfuzzer_sys::fuzz_target;
use selvm_gui_protocol::{ErrorCode, Sender, decode, encode};

fuzz_target!(|data: &[u8]| {
    let word = |chunk: &[u8]| {
        let mut w = [0u8; 8];
        w[..chunk.len()].copy_from_slice(chunk);
        u64::from_le_bytes(w)
    };
    let Some((&head, rest)) = data.split_first() else {
        return;
    };
    let words: Vec<u64> = rest.chunks(8).map(word).collect();
    let sender = match head & 7 {
        0 => Sender::Launcher,
        n => Sender::Client(u64::from(n)),
    };
    let label = words.first().copied().unwrap_or(0) % 32;
    let length = (head >> 3) as usize % 8;
    let caps = u64::from(head >> 6);
    let mrs = words.get(1..).unwrap_or(&[]);
    match decode(sender, label, length, caps, mrs) {
        Ok(request) => {
            let mut again = [0; 5];
            let (l, n) = encode(&request, &mut again);
            assert_eq!((l, n), (label, length));
            assert_eq!(decode(sender, l, n, 0, &again[..n]), Ok(request));
        }
        Err(e) => assert_eq!(ErrorCode::from_word(e.word()), Some(e)),
    }
});
