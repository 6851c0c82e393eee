//! Endpoints: synchronous IPC rendezvous objects (16 bytes: queue state). Their
//! invocations and queues belong to the IPC layer.

use crate::memory::PAddr;

/// Runs when the last cap to the endpoint at `ep` is deleted: queued threads
/// are released (none can be queued before the IPC layer exists).
pub fn on_final(_ep: PAddr) {}
