//! Notifications: asynchronous signal words (32 bytes: word, queue, bound TCB).
//! Signal and wait belong to the IPC layer.

use crate::memory::PAddr;

/// Runs when the last cap to the notification at `ntfn` is deleted: the bound
/// thread is unbound and waiters released (none exist before the IPC layer).
pub fn on_final(_ntfn: PAddr) {}
