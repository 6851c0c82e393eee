//! The guarded accesses and the fault handler. Loads and stores of 1, 2, 4 and 8 bytes
//! are inline `asm!`, one instruction each, recorded with the instruction after it in
//! a table (section `selvm_hostmem_extable`, as the Linux kernel's exception table);
//! the one-byte probes, copy and fill are x86_64 leaf routines (no stack frame, no
//! calls) whose one memory instruction is at a known label. A SIGSEGV/SIGBUS at a
//! table entry resumes after it with rdx = 1; at a routine's label, at
//! `selvm_hostmem_fixup`, which returns "faulted" to the Rust caller. The handler
//! rewrites only those faults' registers; any other fault goes to the handler that was
//! installed before (Rust's stack-overflow report, or the default action).

use std::ffi::c_void;
use std::sync::{Once, OnceLock};

/// What a guarded routine returns: the loaded value, and 1 if the access faulted.
#[repr(C)]
pub(super) struct Guarded {
    pub(super) value: u64,
    pub(super) fault: u64,
}

// The guarded routines (System V ABI: arguments in rdi, rsi, rdx; the pair returned
// in rax:rdx). Each clears the fault flag, then makes its one access at the label
// `<name>_at`; the fixup sets the flag and returns. The stack pointer at each access
// is the one at entry (nothing is pushed), so the fixup's `ret` returns to the caller.
std::arch::global_asm!(
    ".text",
    ".p2align 4",
    ".globl selvm_hostmem_load1, selvm_hostmem_load1_at",
    "selvm_hostmem_load1:",
    "xor edx, edx",
    "selvm_hostmem_load1_at:",
    "movzx eax, byte ptr [rdi]",
    "ret",
    // A store that changes nothing (atomically, so even memory another thread
    // writes keeps its value): faults where a store would.
    ".globl selvm_hostmem_probe_write, selvm_hostmem_probe_write_at",
    "selvm_hostmem_probe_write:",
    "xor eax, eax",
    "xor edx, edx",
    "selvm_hostmem_probe_write_at:",
    "lock or byte ptr [rdi], 0",
    "ret",
    // copy(dst, src, len): rep movsb (forwards; callers never overlap the ranges).
    ".globl selvm_hostmem_copy, selvm_hostmem_copy_at",
    "selvm_hostmem_copy:",
    "mov rcx, rdx",
    "xor eax, eax",
    "xor edx, edx",
    "selvm_hostmem_copy_at:",
    "rep movsb",
    "ret",
    // fill(dst, byte, len): rep stosb.
    ".globl selvm_hostmem_fill, selvm_hostmem_fill_at",
    "selvm_hostmem_fill:",
    "mov rcx, rdx",
    "mov eax, esi",
    "xor edx, edx",
    "selvm_hostmem_fill_at:",
    "rep stosb",
    "xor eax, eax",
    "ret",
    // The table of inline guarded accesses starts with one unused entry, so the
    // section (and its start and stop symbols) exists in every link.
    ".pushsection selvm_hostmem_extable,\"awR\"",
    ".balign 8",
    ".quad 0, 0",
    ".popsection",
    ".globl selvm_hostmem_fixup",
    "selvm_hostmem_fixup:",
    "xor eax, eax",
    "mov edx, 1",
    "ret",
);

// SAFETY: these are the routines and labels defined in the `global_asm!` above,
// with the signatures their code implements (System V ABI).
unsafe extern "C" {
    pub(super) fn selvm_hostmem_load1(at: *const u8) -> Guarded;
    pub(super) fn selvm_hostmem_probe_write(at: *mut u8) -> Guarded;
    pub(super) fn selvm_hostmem_copy(dst: *mut u8, src: *const u8, len: usize) -> Guarded;
    pub(super) fn selvm_hostmem_fill(dst: *mut u8, byte: u64, len: usize) -> Guarded;
    static selvm_hostmem_load1_at: u8;
    static selvm_hostmem_probe_write_at: u8;
    static selvm_hostmem_copy_at: u8;
    static selvm_hostmem_fill_at: u8;
    static selvm_hostmem_fixup: u8;
    static __start_selvm_hostmem_extable: Fixup;
    static __stop_selvm_hostmem_extable: Fixup;
}

/// An entry of the table the inline guarded accesses add to (section
/// `selvm_hostmem_extable`): the access instruction and the instruction after it.
#[repr(C)]
struct Fixup {
    site: usize,
    resume: usize,
}

/// Where an inline guarded access at `rip` resumes after a fault, if `rip` is one.
fn inline_resume(rip: usize) -> Option<usize> {
    let start = &raw const __start_selvm_hostmem_extable;
    let stop = &raw const __stop_selvm_hostmem_extable;
    let len = (stop as usize - start as usize) / core::mem::size_of::<Fixup>();
    // SAFETY: the linker defines the two symbols around the section, which holds only
    // `Fixup` entries (8-aligned pairs of addresses) written by `global_asm!` and
    // `inline_load`/`inline_store`; it is never written at run time.
    let table = unsafe { core::slice::from_raw_parts(start, len) };
    table
        .iter()
        .find(|f| f.site == rip && rip != 0)
        .map(|f| f.resume)
}

/// A guarded load of `N` (1, 2, 4 or 8) bytes at `at`, inlined: the access is
/// recorded in the table, and the handler resumes a fault after it with rdx = 1.
///
/// # Safety
/// `at .. at + N` must lie inside a reservation that no Rust reference points into.
#[inline(always)]
pub(super) unsafe fn inline_load<const N: usize>(at: *const u8) -> Guarded {
    let (value, fault): (u64, u64);
    macro_rules! load {
        ($instr:literal) => {
            // SAFETY: the caller's contract; a fault at label 2 resumes at label 3
            // with rdx = 1 (`on_fault`), no Rust frame in between.
            unsafe {
                core::arch::asm!(
                    "2:",
                    $instr,
                    "3:",
                    ".pushsection selvm_hostmem_extable,\"awR\"",
                    ".balign 8",
                    ".quad 2b, 3b",
                    ".popsection",
                    at = in(reg) at,
                    out("rax") value,
                    inout("rdx") 0u64 => fault,
                    options(nostack, preserves_flags, readonly)
                )
            }
        };
    }
    match N {
        1 => load!("movzx eax, byte ptr [{at}]"),
        2 => load!("movzx eax, word ptr [{at}]"),
        4 => load!("mov eax, dword ptr [{at}]"),
        _ => load!("mov rax, qword ptr [{at}]"),
    }
    Guarded { value, fault }
}

/// A guarded store of the low `N` (1, 2, 4 or 8) bytes of `value` at `at`, inlined.
///
/// # Safety
/// As for [`inline_load`].
#[inline(always)]
pub(super) unsafe fn inline_store<const N: usize>(at: *mut u8, value: u64) -> Guarded {
    let fault: u64;
    macro_rules! store {
        ($instr:literal) => {
            // SAFETY: as in `inline_load`.
            unsafe {
                core::arch::asm!(
                    "2:",
                    $instr,
                    "3:",
                    ".pushsection selvm_hostmem_extable,\"awR\"",
                    ".balign 8",
                    ".quad 2b, 3b",
                    ".popsection",
                    at = in(reg) at,
                    in("rsi") value,
                    inout("rdx") 0u64 => fault,
                    options(nostack, preserves_flags)
                )
            }
        };
    }
    match N {
        1 => store!("mov byte ptr [{at}], sil"),
        2 => store!("mov word ptr [{at}], si"),
        4 => store!("mov dword ptr [{at}], esi"),
        _ => store!("mov qword ptr [{at}], rsi"),
    }
    Guarded { value: 0, fault }
}

/// The addresses of the guarded instructions (the only faults the handler resumes).
fn guarded_sites() -> [usize; 4] {
    [
        (&raw const selvm_hostmem_load1_at) as usize,
        (&raw const selvm_hostmem_probe_write_at) as usize,
        (&raw const selvm_hostmem_copy_at) as usize,
        (&raw const selvm_hostmem_fill_at) as usize,
    ]
}

/// The actions installed before ours, for SIGSEGV and SIGBUS.
static PREVIOUS: [OnceLock<libc::sigaction>; 2] = [OnceLock::new(), OnceLock::new()];
static INSTALL: Once = Once::new();

/// The SIGSEGV/SIGBUS handler: a fault at a guarded instruction resumes at the fixup;
/// any other goes to the previous handler. Async-signal-safe: it reads the signal
/// context, compares addresses and, for other faults, calls the previous action.
extern "C" fn on_fault(signal: libc::c_int, info: *mut libc::siginfo_t, context: *mut c_void) {
    // SAFETY: the kernel passes an SA_SIGINFO handler a valid, exclusive ucontext_t
    // for the duration of the handler.
    let uc = unsafe { &mut *context.cast::<libc::ucontext_t>() };
    let rip = uc.uc_mcontext.gregs[libc::REG_RIP as usize] as usize;
    if guarded_sites().contains(&rip) {
        uc.uc_mcontext.gregs[libc::REG_RIP as usize] =
            (&raw const selvm_hostmem_fixup) as usize as i64;
        return;
    }
    if let Some(resume) = inline_resume(rip) {
        uc.uc_mcontext.gregs[libc::REG_RDX as usize] = 1;
        uc.uc_mcontext.gregs[libc::REG_RIP as usize] = resume as i64;
        return;
    }
    let slot = usize::from(signal == libc::SIGBUS);
    let previous = PREVIOUS[slot].get().map(|p| (p.sa_sigaction, p.sa_flags));
    match previous {
        Some((handler, flags)) if handler != libc::SIG_DFL && handler != libc::SIG_IGN => {
            if flags & libc::SA_SIGINFO != 0 {
                // SAFETY: an SA_SIGINFO action's handler has this signature; it gets
                // the arguments the kernel gave us.
                let f: extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut c_void) =
                    unsafe { std::mem::transmute(handler) };
                f(signal, info, context);
            } else {
                // SAFETY: a plain action's handler takes the signal number.
                let f: extern "C" fn(libc::c_int) = unsafe { std::mem::transmute(handler) };
                f(signal);
            }
        }
        _ => {
            // The default action: reset it and return, so the faulting instruction
            // runs again and the process dies of the signal as it would have.
            // SAFETY: sigaction with a zeroed action (SIG_DFL, no flags) and no old one.
            unsafe {
                let mut dfl: libc::sigaction = std::mem::zeroed();
                dfl.sa_sigaction = libc::SIG_DFL;
                libc::sigaction(signal, &dfl, std::ptr::null_mut());
            }
        }
    }
}

/// Installs the handler once per process, keeping the actions it replaces.
pub(super) fn install_handler() {
    INSTALL.call_once(|| {
        for (slot, signal) in [libc::SIGSEGV, libc::SIGBUS].into_iter().enumerate() {
            // SAFETY: sigaction reads `ours` and writes `old`, both valid; the
            // handler has the SA_SIGINFO signature. It runs on the alternate signal
            // stack when there is one (as Rust's stack-overflow handler does).
            unsafe {
                let mut old: libc::sigaction = std::mem::zeroed();
                if libc::sigaction(signal, std::ptr::null(), &mut old) != 0 {
                    continue;
                }
                let _ = PREVIOUS[slot].set(old);
                let mut ours: libc::sigaction = std::mem::zeroed();
                ours.sa_sigaction = on_fault as *const () as usize;
                ours.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK;
                libc::sigemptyset(&mut ours.sa_mask);
                libc::sigaction(signal, &ours, std::ptr::null_mut());
            }
        }
    });
}
