//! Typed messages of the shapes the tests send most, named as the root task names
//! things: root slots at depth 64 through the root CNode, objects retyped into root
//! slots. Each is a row of `abi`'s invocation table with the usual arguments filled in;
//! send it with `Client::invoke` or `threads::invoke`.

use selvm_abi::args::{
    AsidControlMakePool, CNodeCancelBadgedSends, CNodeCopy, CNodeDelete, CNodeMint, CNodeMove,
    CNodeMutate, CNodeRevoke, CNodeSaveCaller, TcbConfigure, TcbSetPriority, TcbSetSchedParams,
    UntypedRetype,
};
use selvm_abi::{CPtr, CapRights, ObjectType, Word, boot};

/// The root CNode: every CSpace root below.
const ROOT: CPtr = boot::CAP_INIT_THREAD_CNODE;
/// A root slot's depth.
const DEPTH: Word = 64;

/// Retype of `count` objects of `ty` (size `size_bits`) into root slots from `at`.
pub fn retype(ty: ObjectType, size_bits: Word, at: CPtr, count: Word) -> UntypedRetype {
    UntypedRetype {
        object_type: ty.word(),
        size_bits,
        root: ROOT,
        node_index: 0,
        node_depth: 0,
        node_offset: at,
        num_objects: count,
    }
}

/// Copy of root slot `src` to root slot `dest` with `rights`.
pub fn copy(dest: CPtr, src: CPtr, rights: CapRights) -> CNodeCopy {
    CNodeCopy {
        dest_index: dest,
        dest_depth: DEPTH,
        src_root: ROOT,
        src_index: src,
        src_depth: DEPTH,
        rights,
    }
}

/// Mint of root slot `src` to root slot `dest` with `rights` and `badge`.
pub fn mint(dest: CPtr, src: CPtr, rights: CapRights, badge: Word) -> CNodeMint {
    CNodeMint {
        dest_index: dest,
        dest_depth: DEPTH,
        src_root: ROOT,
        src_index: src,
        src_depth: DEPTH,
        rights,
        badge,
    }
}

/// Move of root slot `src` to root slot `dest`.
pub fn move_(dest: CPtr, src: CPtr) -> CNodeMove {
    CNodeMove {
        dest_index: dest,
        dest_depth: DEPTH,
        src_root: ROOT,
        src_index: src,
        src_depth: DEPTH,
    }
}

/// Mutate of root slot `src` to root slot `dest` with new data `badge`.
pub fn mutate(dest: CPtr, src: CPtr, badge: Word) -> CNodeMutate {
    CNodeMutate {
        dest_index: dest,
        dest_depth: DEPTH,
        src_root: ROOT,
        src_index: src,
        src_depth: DEPTH,
        badge,
    }
}

/// Delete of root slot `slot`.
pub fn delete(slot: CPtr) -> CNodeDelete {
    CNodeDelete {
        index: slot,
        depth: DEPTH,
    }
}

/// Revoke of root slot `slot`.
pub fn revoke(slot: CPtr) -> CNodeRevoke {
    CNodeRevoke {
        index: slot,
        depth: DEPTH,
    }
}

/// CancelBadgedSends of the endpoint cap in root slot `slot`.
pub fn cancel_badged_sends(slot: CPtr) -> CNodeCancelBadgedSends {
    CNodeCancelBadgedSends {
        index: slot,
        depth: DEPTH,
    }
}

/// SaveCaller into root slot `slot`.
pub fn save_caller(slot: CPtr) -> CNodeSaveCaller {
    CNodeSaveCaller {
        index: slot,
        depth: DEPTH,
    }
}

/// SetPriority to `priority` on the authority of the thread cap `authority`.
pub fn set_priority(priority: Word, authority: CPtr) -> TcbSetPriority {
    TcbSetPriority {
        priority,
        authority,
    }
}

/// SetSchedParams to `mcp` and `priority` on the authority of `authority`.
pub fn set_sched_params(mcp: Word, priority: Word, authority: CPtr) -> TcbSetSchedParams {
    TcbSetSchedParams {
        mcp,
        priority,
        authority,
    }
}

/// Configure for a thread of the root task: no fault endpoint, the root CSpace, the
/// VSpace root in root slot `vspace` (also named as the unused buffer frame: no IPC
/// buffer, address 0).
pub fn configure(vspace: CPtr) -> TcbConfigure {
    TcbConfigure {
        fault_ep: 0,
        cspace_root_data: 0,
        vspace_root_data: 0,
        buffer: 0,
        cspace_root: ROOT,
        vspace_root: vspace,
        buffer_frame: vspace,
    }
}

/// MakePool of the 4 KiB untyped in root slot `untyped` into root slot `dest`.
pub fn make_pool(untyped: CPtr, dest: CPtr) -> AsidControlMakePool {
    AsidControlMakePool {
        index: dest,
        depth: DEPTH,
        untyped,
        root: ROOT,
    }
}
