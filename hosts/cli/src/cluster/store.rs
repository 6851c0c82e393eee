//! A node's module store: the modules its host was given (`selvm node --module
//! NAME=FILE`, every module of `selvm cluster up`), which the guest's network service
//! reads through the network device (`MSG_MODULE_READ`, answered by `MSG_MODULE_DATA`
//! pieces) to spawn processes from them (docs/cluster.md, "Remote process creation").
//! An `.sbc` module is stored as its bytes, unverified: the guest's kernel verifies it
//! when it seals it, and a module that fails answers the spawn with a documented error.
//! WebAssembly is translated by dx first, as `selvm run` does.

use crate::failure::Failure;
use selvm_abi::vm::network::{
    ERROR_NO_SUCH_NAME, MSG_MAX_MRS, MSG_MODULE_DATA, MSG_MODULE_READ, MSG_MRS, NAME_MAX,
    REMOTE_ERROR_LABEL,
};
use std::path::Path;

/// The modules a node may spawn processes from, by name, in the order given.
#[derive(Default)]
pub struct Store {
    modules: Vec<(String, Vec<u8>)>,
}

/// Bytes of module a `MSG_MODULE_DATA` carries at most.
const PIECE: usize = MSG_MAX_MRS * 8;

impl Store {
    /// The store of `NAME=FILE` arguments.
    pub fn load(specs: &[String]) -> Result<Store, Failure> {
        let mut store = Store::default();
        for spec in specs {
            let Some((name, file)) = spec.split_once('=') else {
                return Err(Failure::usage(format!(
                    "--module {spec}: give NAME=FILE (a name for the module, and its file)"
                )));
            };
            if name.is_empty() || name.len() > NAME_MAX {
                return Err(Failure::usage(format!(
                    "--module {spec}: a module's name is 1 to {NAME_MAX} bytes"
                )));
            }
            if store.modules.iter().any(|(n, _)| n == name) {
                return Err(Failure::usage(format!(
                    "--module {spec}: a module named {name} was given already"
                )));
            }
            let bytes = module_bytes(Path::new(file))?;
            store.modules.push((name.to_string(), bytes));
        }
        Ok(store)
    }

    /// The answer to the guest's message `message` when it is a store read (the
    /// pieces of the module, or one piece saying there is no such module); None for
    /// any other message, which goes to the transport.
    pub fn answer(&self, message: &[u8], node: u64) -> Option<Vec<Vec<u8>>> {
        if message.get(..8) != Some(&MSG_MODULE_READ.to_le_bytes()[..]) {
            return None; // (every other message, checked without copying it)
        }
        let words: Vec<u64> = message
            .chunks_exact(8)
            .map(|w| u64::from_le_bytes(w.try_into().unwrap_or_default()))
            .collect();
        if words.first() != Some(&MSG_MODULE_READ) || words.len() < MSG_MRS {
            return None;
        }
        let call_id = words[2];
        let length = (words[4] as usize).min(NAME_MAX);
        let packed: Vec<u8> = words[MSG_MRS..]
            .iter()
            .flat_map(|w| w.to_le_bytes())
            .collect();
        let found = match length {
            0 => self.modules.first(),
            n => {
                let name = packed.get(..n).unwrap_or(&[]);
                self.modules.iter().find(|(m, _)| m.as_bytes() == name)
            }
        };
        let Some((_, bytes)) = found else {
            let label = REMOTE_ERROR_LABEL | ERROR_NO_SUCH_NAME;
            return Some(vec![data(node, call_id, 0, label, &[])]);
        };
        let total = bytes.len() as u64;
        let pieces = bytes.chunks(PIECE).enumerate();
        Some(
            pieces
                .map(|(i, piece)| data(node, call_id, (i * PIECE) as u64, total, piece))
                .collect(),
        )
    }
}

/// A `MSG_MODULE_DATA` message: `piece` at byte `offset` of a module of `total` bytes.
fn data(node: u64, call_id: u64, offset: u64, total: u64, piece: &[u8]) -> Vec<u8> {
    let words = piece.len().div_ceil(8);
    let header = [MSG_MODULE_DATA, node, call_id, offset, total, words as u64];
    let mut out: Vec<u8> = header.iter().flat_map(|w| w.to_le_bytes()).collect();
    out.extend_from_slice(piece);
    out.resize((MSG_MRS + words) * 8, 0);
    out
}

/// A store module's bytes: an `.sbc` module as it is, WebAssembly translated by dx.
fn module_bytes(path: &Path) -> Result<Vec<u8>, Failure> {
    let bytes = crate::input::read(path)?;
    if bytes.starts_with(b"\x7fSBC") {
        return Ok(bytes);
    }
    selvm_load::image(path, &bytes).map_err(Failure::bad_input)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(call_id: u64, name: &str) -> Vec<u8> {
        let mut words = vec![MSG_MODULE_READ, 1, call_id, 0, name.len() as u64];
        let mut packed = name.as_bytes().to_vec();
        packed.resize(name.len().div_ceil(8) * 8, 0);
        words.push((packed.len() / 8) as u64);
        let mut out: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
        out.extend_from_slice(&packed);
        out
    }

    fn word(m: &[u8], i: usize) -> u64 {
        u64::from_le_bytes(m[i * 8..i * 8 + 8].try_into().unwrap())
    }

    #[test]
    fn a_module_comes_in_pieces_in_order_and_a_missing_one_is_an_error() {
        let image: Vec<u8> = (0..2000u32).map(|i| i as u8).collect();
        let store = Store {
            modules: vec![
                ("a".into(), vec![1, 2, 3]),
                ("worker".into(), image.clone()),
            ],
        };
        let pieces = store.answer(&read(7, "worker"), 4).unwrap();
        assert_eq!(pieces.len(), 3);
        let mut got = Vec::new();
        for (i, p) in pieces.iter().enumerate() {
            assert_eq!(word(p, 0), MSG_MODULE_DATA);
            assert_eq!(word(p, 2), 7);
            assert_eq!(word(p, 3), (i * PIECE) as u64);
            assert_eq!(word(p, 4), 2000);
            got.extend_from_slice(&p[MSG_MRS * 8..]);
        }
        assert_eq!(&got[..2000], &image[..]);
        let first = store.answer(&read(8, ""), 4).unwrap();
        assert_eq!(
            word(&first[0], 4),
            3,
            "the empty name reads the first module"
        );
        let missing = store.answer(&read(9, "nope"), 4).unwrap();
        assert_eq!(
            word(&missing[0], 4),
            REMOTE_ERROR_LABEL | ERROR_NO_SUCH_NAME
        );
        assert!(store.answer(&[0; 48], 4).is_none(), "other kinds pass");
    }

    #[test]
    fn bad_module_arguments_are_refused_with_their_reason() {
        let refused = |specs: &[&str]| {
            let specs: Vec<String> = specs.iter().map(|s| s.to_string()).collect();
            Store::load(&specs)
                .err()
                .expect("refused")
                .message
                .unwrap_or_default()
        };
        assert!(refused(&["worker"]).contains("give NAME=FILE"));
        assert!(refused(&["=x.sbc"]).contains("1 to 64 bytes"));
        assert!(refused(&[&format!("{}=x.sbc", "n".repeat(65))]).contains("1 to 64 bytes"));
        let dir = std::env::temp_dir().join(format!("selvm-store-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("m.sbc");
        std::fs::write(&file, b"\x7fSBC and anything: the kernel verifies it").unwrap();
        let spec = format!("m={}", file.display());
        assert_eq!(
            Store::load(std::slice::from_ref(&spec))
                .unwrap()
                .modules
                .len(),
            1
        );
        assert!(refused(&[&spec, &spec]).contains("given already"));
        assert!(refused(&["m=/no/such/file.sbc"]).contains("/no/such/file.sbc"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
