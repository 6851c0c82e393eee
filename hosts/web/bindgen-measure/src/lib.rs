//! The page's boundary in miniature, twice (measure.sh, docs/web.md): raw exports
//! over an inbox and an outbox (as hosts/web/src/ffi.rs), and the same six calls as
//! wasm-bindgen functions (`--features bindgen`). Measurement only.
use std::cell::RefCell;

thread_local! {
    static STATE: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
    static INBOX: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
    static OUTBOX: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

fn boot(name: &str, bytes: &[u8], memory_mib: u32, max: f64, flags: u32, display: u32) -> u32 {
    STATE.with_borrow_mut(|s| {
        s.clear();
        s.extend_from_slice(name.as_bytes());
        s.extend_from_slice(bytes);
        s.push((memory_mib ^ flags ^ display) as u8);
        s.push(max as u8);
        s.len() as u32
    })
}
fn run(budget: f64, now: f64) -> u32 {
    STATE.with_borrow(|s| (s.len() as f64 + budget + now) as u32 & 3)
}
fn console() -> Vec<u8> {
    STATE.with_borrow(|s| s.clone())
}
fn stats() -> String {
    STATE.with_borrow(|s| format!("{{\"len\":{}}}", s.len()))
}
fn frames(whole: bool) -> Vec<u8> {
    STATE.with_borrow(|s| if whole { s.repeat(2) } else { s.clone() })
}
fn event(kind: u32, code: u32, x: u32, y: u32, buttons: u32) -> u32 {
    STATE.with_borrow_mut(|s| {
        s.extend_from_slice(&[kind as u8, code as u8, x as u8, y as u8, buttons as u8]);
        1
    })
}

#[cfg(not(feature = "bindgen"))]
mod raw {
    #![allow(unsafe_code)]
    use super::*;
    // SAFETY: the import takes and returns plain numbers (the glue's performance.now()).
    #[link(wasm_import_module = "selvm")]
    unsafe extern "C" {
        safe fn selvm_host_now_ms() -> f64;
    }
    fn reply(b: &[u8]) -> u32 {
        OUTBOX.with_borrow_mut(|o| {
            o.clear();
            o.extend_from_slice(b);
            o.len() as u32
        })
    }
    #[unsafe(no_mangle)]
    pub extern "C" fn selvm_inbox(len: u32) -> u32 {
        INBOX.with_borrow_mut(|i| {
            i.clear();
            i.resize(len as usize, 0);
            i.as_mut_ptr() as u32
        })
    }
    #[unsafe(no_mangle)]
    pub extern "C" fn selvm_outbox() -> u32 {
        OUTBOX.with_borrow_mut(|o| o.as_mut_ptr() as u32)
    }
    #[unsafe(no_mangle)]
    pub extern "C" fn selvm_boot_file(name_len: u32, m: u32, max: f64, flags: u32, d: u32) -> u32 {
        INBOX.with_borrow(|i| {
            let (n, b) = i.split_at((name_len as usize).min(i.len()));
            boot(&String::from_utf8_lossy(n), b, m, max, flags, d)
        })
    }
    #[unsafe(no_mangle)]
    pub extern "C" fn selvm_run(budget: f64) -> u32 {
        run(budget, selvm_host_now_ms())
    }
    #[unsafe(no_mangle)]
    pub extern "C" fn selvm_console() -> u32 {
        reply(&console())
    }
    #[unsafe(no_mangle)]
    pub extern "C" fn selvm_stats() -> u32 {
        reply(stats().as_bytes())
    }
    #[unsafe(no_mangle)]
    pub extern "C" fn selvm_frames(whole: u32) -> u32 {
        reply(&frames(whole != 0))
    }
    #[unsafe(no_mangle)]
    pub extern "C" fn selvm_event(k: u32, c: u32, x: u32, y: u32, b: u32) -> u32 {
        event(k, c, x, y, b)
    }
}

#[cfg(feature = "bindgen")]
mod bound {
    use super::*;
    use wasm_bindgen::prelude::*;
    #[wasm_bindgen]
    extern "C" {
        #[wasm_bindgen(js_namespace = performance)]
        fn now() -> f64;
    }
    #[wasm_bindgen]
    pub fn selvm_boot_file(name: &str, bytes: &[u8], m: u32, max: f64, flags: u32, d: u32) -> u32 {
        boot(name, bytes, m, max, flags, d)
    }
    #[wasm_bindgen]
    pub fn selvm_run(budget: f64) -> u32 {
        run(budget, now())
    }
    #[wasm_bindgen]
    pub fn selvm_console() -> Vec<u8> {
        console()
    }
    #[wasm_bindgen]
    pub fn selvm_stats() -> String {
        stats()
    }
    #[wasm_bindgen]
    pub fn selvm_frames(whole: bool) -> Vec<u8> {
        frames(whole)
    }
    #[wasm_bindgen]
    pub fn selvm_event(k: u32, c: u32, x: u32, y: u32, b: u32) -> u32 {
        event(k, c, x, y, b)
    }
}
