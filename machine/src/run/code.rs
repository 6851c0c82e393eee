//! What the current thread runs: its module (decoded once per module object and
//! shared), register stack, entry and VSpace, from a small per-thread cache: used
//! as it is within the epoch it was checked in, checked against the words it came
//! from in a later one, looked up afresh when those changed (see `CodeCache`).

use crate::exit::FaultKind;
use crate::machine::{CODE_CACHE_THREADS, CodeCache, Machine, Step};
use alloc::sync::Arc;
use selvm_abi::Word;
use selvm_abi::vm::fault::TrapKind;
use selvm_kernel::memory::PAddr;
use selvm_kernel::vspace::Asid;

/// Where thread `t`'s code is in the cache (so a slice borrows the decoded module
/// from there instead of taking a reference count), and its VSpace (ASID and root).
pub(super) type Code = (usize, Option<(Asid, PAddr)>);

impl Machine {
    /// What thread `t` runs, or the step that ends a thread that cannot run.
    #[inline(always)]
    pub(super) fn code_for(&mut self, t: PAddr) -> Result<Code, Step> {
        let found = self.code_cache.iter().position(|c| c.tcb == t);
        match found {
            // Checked in this epoch: nothing it came from can have changed.
            Some(i) if self.code_cache[i].checked == self.epoch => {
                Ok((i, self.code_cache[i].vspace))
            }
            _ => self.check_code(t, found),
        }
    }

    /// [`Self::code_for`] in a new epoch: the cache entry (at `found`) checked
    /// against the kernel's words, or looked up afresh.
    #[inline]
    fn check_code(&mut self, t: PAddr, found: Option<usize>) -> Result<Code, Step> {
        let key = self.kernel.vm_code_key(t);
        match found {
            Some(i) if self.code_cache[i].key == key => {
                let cached = self.code_cache[i].vspace;
                let vspace = match cached {
                    Some((asid, root)) if self.kernel.find_vspace_for_asid(asid) == Ok(root) => {
                        cached
                    }
                    _ => self.kernel.thread_vspace(t),
                };
                let entry = &mut self.code_cache[i];
                entry.vspace = vspace;
                entry.checked = self.epoch;
                Ok((i, vspace))
            }
            _ => self.look_up_code(t, key),
        }
    }

    /// [`Self::code_for`] afresh, cached against `key`.
    fn look_up_code(&mut self, t: PAddr, key: [Word; 8]) -> Result<Code, Step> {
        self.threads.insert(t);
        let pc = self.context_pc(t);
        let Some(code) = self.kernel.vm_code(t) else {
            self.kernel_entries += 1;
            self.epoch += 1;
            self.kernel.vm_trap(pc, TrapKind::NoCode, 0);
            return Err(self.killed(t, pc, FaultKind::Trap(TrapKind::NoCode, 0), None));
        };
        let module = match self.modules.get(&code.module) {
            Some(m) => Arc::clone(m),
            None => match selvm_vm::Module::load(self.kernel.vm_module_image(&code)) {
                Ok(m) => {
                    let m = Arc::new(m);
                    self.modules.insert(code.module, Arc::clone(&m));
                    m
                }
                Err(_) => {
                    self.epoch += 1;
                    self.kernel.vm_trap(pc, TrapKind::NoCode, 0);
                    return Err(self.killed(t, pc, FaultKind::BadModule, None));
                }
            },
        };
        let vspace = self.kernel.thread_vspace(t);
        let entry = CodeCache {
            tcb: t,
            key,
            code,
            vspace,
            module,
            checked: self.epoch,
            kept_epoch: u64::MAX,
            thread: None,
            window_base: 0,
            pages: 0,
        };
        let i = match self.code_cache.iter().position(|c| c.tcb == t) {
            Some(i) => {
                self.code_cache[i] = entry;
                i
            }
            None => {
                if self.code_cache.len() >= CODE_CACHE_THREADS {
                    self.code_cache.remove(0);
                }
                self.code_cache.push(entry);
                self.code_cache.len() - 1
            }
        };
        Ok((i, vspace))
    }
}
