//! The invocation table of seL4 13.0.0 (non-MCS): generic labels 1–29 and riscv64's
//! 30–37, which the vm architecture shares. One entry per invocation, in label order:
//! its doc line, name, label and object; its message registers in order, its extra caps
//! in order, and the words of a successful reply (see `macros.rs` for the notation).
//! Layouts follow libsel4's interface files (`object-api*.xml`): the kernel reads each
//! argument where seL4's decoder does.

use super::macros::invocations;

invocations! {
    /// An invocation label of seL4 13.0.0 (generic labels, then the riscv64 ones).
    enum InvocationLabel;
    invalid InvalidInvocation = 0 "Not a valid invocation (label 0).";
    /// The generic and riscv64 rows of the table, in label order (1..=37).
    specs INVOCATION_SPECS;
    /// Visits the argument struct of every generic and riscv64 invocation.
    visit visit_invocations;

    "Retype memory from an untyped object into new objects."
    UntypedRetype = 1 on Untyped {
        mrs {
            OBJECT_TYPE object_type = "the type of the new objects (an `ObjectType` word)";
            SIZE_BITS size_bits = "their size where the type takes one (log2 bytes, a CNode's radix)";
            NODE_INDEX node_index = "the destination CNode, resolved in `root`";
            NODE_DEPTH node_depth = "bits of `node_index` to resolve (0: `root` itself)";
            NODE_OFFSET node_offset = "the first destination slot in that CNode";
            NUM_OBJECTS num_objects = "how many objects (1..=256)";
        }
        caps { ROOT root = "the CSpace root `node_index` is resolved in"; }
        reply {}
    }

    "Read a thread's registers."
    TcbReadRegisters = 2 on Tcb {
        mrs {
            FLAGS flags = "bit 0 suspend the thread first; bits 8.. architecture flags";
            COUNT count = "how many registers, in the user context's transfer order";
        }
        caps {}
        reply { ..REPLY_REGS regs = "the registers read, in transfer order"; }
    }

    "Write a thread's registers."
    TcbWriteRegisters = 3 on Tcb {
        mrs {
            FLAGS flags = "bit 0 resume the thread afterwards; bits 8.. architecture flags";
            COUNT count = "how many registers to write, in transfer order";
            ..REGS regs = "the values, `count` of them";
        }
        caps {}
        reply {}
    }

    "Copy registers from one thread to another."
    TcbCopyRegisters = 4 on Tcb {
        mrs {
            FLAGS flags = "bit 0 suspend the source, 1 resume the target, 2 frame registers, 3 integer registers; bits 8.. architecture flags";
        }
        caps { SOURCE source = "the thread copied from"; }
        reply {}
    }

    "Set a thread's fault endpoint, CSpace, VSpace and IPC buffer at once."
    TcbConfigure = 5 on Tcb {
        mrs {
            FAULT_EP fault_ep = "the fault endpoint's address in the thread's new CSpace";
            CSPACE_ROOT_DATA cspace_root_data = "new guard data for the CSpace root (0: unchanged)";
            VSPACE_ROOT_DATA vspace_root_data = "new data for the VSpace root (0: unchanged)";
            BUFFER buffer = "the IPC buffer's user address (0: none)";
        }
        caps {
            CSPACE_ROOT cspace_root = "the new CSpace root";
            VSPACE_ROOT vspace_root = "the new VSpace root";
            BUFFER_FRAME buffer_frame = "the frame holding the IPC buffer";
        }
        reply {}
    }

    "Set a thread's priority."
    TcbSetPriority = 6 on Tcb {
        mrs { PRIORITY priority = "the new priority, at most the authority's MCP"; }
        caps { AUTHORITY authority = "the thread whose MCP authorises it"; }
        reply {}
    }

    "Set a thread's maximum controlled priority."
    TcbSetMcPriority = 7 on Tcb {
        mrs { MCP mcp = "the new MCP, at most the authority's MCP"; }
        caps { AUTHORITY authority = "the thread whose MCP authorises it"; }
        reply {}
    }

    "Set a thread's priority and maximum controlled priority."
    TcbSetSchedParams = 8 on Tcb {
        mrs {
            MCP mcp = "the new MCP, at most the authority's MCP";
            PRIORITY priority = "the new priority, at most the authority's MCP";
        }
        caps { AUTHORITY authority = "the thread whose MCP authorises it"; }
        reply {}
    }

    "Set a thread's IPC buffer."
    TcbSetIpcBuffer = 9 on Tcb {
        mrs { BUFFER buffer = "the IPC buffer's user address (0: none)"; }
        caps { BUFFER_FRAME buffer_frame = "the frame holding it"; }
        reply {}
    }

    "Set a thread's fault endpoint, CSpace and VSpace."
    TcbSetSpace = 10 on Tcb {
        mrs {
            FAULT_EP fault_ep = "the fault endpoint's address in the thread's new CSpace";
            CSPACE_ROOT_DATA cspace_root_data = "new guard data for the CSpace root (0: unchanged)";
            VSPACE_ROOT_DATA vspace_root_data = "new data for the VSpace root (0: unchanged)";
        }
        caps {
            CSPACE_ROOT cspace_root = "the new CSpace root";
            VSPACE_ROOT vspace_root = "the new VSpace root";
        }
        reply {}
    }

    "Suspend a thread."
    TcbSuspend = 11 on Tcb { mrs {} caps {} reply {} }

    "Resume a thread."
    TcbResume = 12 on Tcb { mrs {} caps {} reply {} }

    "Bind a notification to a thread."
    TcbBindNotification = 13 on Tcb {
        mrs {}
        caps { NOTIFICATION notification = "the notification (needs Read)"; }
        reply {}
    }

    "Unbind a thread's notification."
    TcbUnbindNotification = 14 on Tcb { mrs {} caps {} reply {} }

    "Set a thread's TLS base register."
    TcbSetTlsBase = 15 on Tcb {
        mrs { TLS_BASE tls_base = "the new TLS base"; }
        caps {}
        reply {}
    }

    "Delete every descendant of a capability."
    CNodeRevoke = 16 on CNode {
        mrs {
            INDEX index = "the slot, resolved in the invoked CNode";
            DEPTH depth = "bits of `index` to resolve";
        }
        caps {}
        reply {}
    }

    "Delete one capability."
    CNodeDelete = 17 on CNode {
        mrs {
            INDEX index = "the slot, resolved in the invoked CNode";
            DEPTH depth = "bits of `index` to resolve";
        }
        caps {}
        reply {}
    }

    "Cancel pending sends carrying a badge."
    CNodeCancelBadgedSends = 18 on CNode {
        mrs {
            INDEX index = "the slot of the badged endpoint cap, resolved in the invoked CNode";
            DEPTH depth = "bits of `index` to resolve";
        }
        caps {}
        reply {}
    }

    "Copy a capability, possibly with fewer rights."
    CNodeCopy = 19 on CNode {
        mrs {
            DEST_INDEX dest_index = "the empty destination slot, resolved in the invoked CNode";
            DEST_DEPTH dest_depth = "bits of `dest_index` to resolve";
            SRC_INDEX src_index = "the source slot, resolved in `src_root`";
            SRC_DEPTH src_depth = "bits of `src_index` to resolve";
            RIGHTS rights: CapRights = "the rights the copy keeps (at most the source's)";
        }
        caps { SRC_ROOT src_root = "the CNode `src_index` is resolved in"; }
        reply {}
    }

    "Copy a capability with fewer rights and/or a badge."
    CNodeMint = 20 on CNode {
        mrs {
            DEST_INDEX dest_index = "the empty destination slot, resolved in the invoked CNode";
            DEST_DEPTH dest_depth = "bits of `dest_index` to resolve";
            SRC_INDEX src_index = "the source slot, resolved in `src_root`";
            SRC_DEPTH src_depth = "bits of `src_index` to resolve";
            RIGHTS rights: CapRights = "the rights the copy keeps (at most the source's)";
            BADGE badge = "the badge, or a CNode's guard data";
        }
        caps { SRC_ROOT src_root = "the CNode `src_index` is resolved in"; }
        reply {}
    }

    "Move a capability."
    CNodeMove = 21 on CNode {
        mrs {
            DEST_INDEX dest_index = "the empty destination slot, resolved in the invoked CNode";
            DEST_DEPTH dest_depth = "bits of `dest_index` to resolve";
            SRC_INDEX src_index = "the source slot, resolved in `src_root`";
            SRC_DEPTH src_depth = "bits of `src_index` to resolve";
        }
        caps { SRC_ROOT src_root = "the CNode `src_index` is resolved in"; }
        reply {}
    }

    "Move a capability, changing its badge or guard."
    CNodeMutate = 22 on CNode {
        mrs {
            DEST_INDEX dest_index = "the empty destination slot, resolved in the invoked CNode";
            DEST_DEPTH dest_depth = "bits of `dest_index` to resolve";
            SRC_INDEX src_index = "the source slot, resolved in `src_root`";
            SRC_DEPTH src_depth = "bits of `src_index` to resolve";
            BADGE badge = "the new badge, or a CNode's guard data";
        }
        caps { SRC_ROOT src_root = "the CNode `src_index` is resolved in"; }
        reply {}
    }

    "Move two capabilities around three slots: pivot to destination, source to pivot."
    CNodeRotate = 23 on CNode {
        mrs {
            DEST_INDEX dest_index = "the destination slot, resolved in the invoked CNode (empty unless it is the source)";
            DEST_DEPTH dest_depth = "bits of `dest_index` to resolve";
            DEST_BADGE dest_badge = "new data for the cap moved from the pivot to the destination";
            PIVOT_INDEX pivot_index = "the pivot slot, resolved in `pivot_root`";
            PIVOT_DEPTH pivot_depth = "bits of `pivot_index` to resolve";
            PIVOT_BADGE pivot_badge = "new data for the cap moved from the source to the pivot";
            SRC_INDEX src_index = "the source slot, resolved in `src_root`";
            SRC_DEPTH src_depth = "bits of `src_index` to resolve";
        }
        caps {
            PIVOT_ROOT pivot_root = "the CNode `pivot_index` is resolved in";
            SRC_ROOT src_root = "the CNode `src_index` is resolved in";
        }
        reply {}
    }

    "Move the reply capability out of the caller slot."
    CNodeSaveCaller = 24 on CNode {
        mrs {
            INDEX index = "the empty slot, resolved in the invoked CNode";
            DEPTH depth = "bits of `index` to resolve";
        }
        caps {}
        reply {}
    }

    "Make an IRQ handler capability."
    IrqIssueIrqHandler = 25 on IrqControl {
        mrs {
            IRQ irq = "the interrupt line";
            INDEX index = "the empty destination slot, resolved in `root`";
            DEPTH depth = "bits of `index` to resolve";
        }
        caps { ROOT root = "the CNode `index` is resolved in"; }
        reply {}
    }

    "Acknowledge an interrupt."
    IrqAckIrq = 26 on IrqHandler { mrs {} caps {} reply {} }

    "Set the notification an IRQ is delivered to."
    IrqSetIrqHandler = 27 on IrqHandler {
        mrs {}
        caps { NOTIFICATION notification = "the notification to signal (needs Write)"; }
        reply {}
    }

    "Clear an IRQ's notification."
    IrqClearIrqHandler = 28 on IrqHandler { mrs {} caps {} reply {} }

    "Put a thread in a scheduling domain."
    DomainSetSet = 29 on Domain {
        mrs { DOMAIN domain = "the domain"; }
        caps { THREAD thread = "the thread"; }
        reply {}
    }

    "Map a page table (riscv64 numbering)."
    PageTableMap = 30 on PageTable {
        mrs {
            VADDR vaddr = "the virtual address the table will serve";
            ATTR attr = "VM attributes";
        }
        caps { VSPACE vspace = "the VSpace root (a page table with an ASID)"; }
        reply {}
    }

    "Unmap a page table (riscv64 numbering)."
    PageTableUnmap = 31 on PageTable { mrs {} caps {} reply {} }

    "Map a frame (riscv64 numbering)."
    PageMap = 32 on Frame {
        mrs {
            VADDR vaddr = "the virtual address, aligned to the frame's size";
            RIGHTS rights: CapRights = "the mapping's rights (masked by the cap's)";
            ATTR attr = "VM attributes (bit 0: execute never)";
        }
        caps { VSPACE vspace = "the VSpace root (a page table with an ASID)"; }
        reply {}
    }

    "Unmap a frame (riscv64 numbering)."
    PageUnmap = 33 on Frame { mrs {} caps {} reply {} }

    "Read a frame's physical address (riscv64 numbering)."
    PageGetAddress = 34 on Frame {
        mrs {}
        caps {}
        reply { REPLY_PADDR paddr = "the frame's physical address"; }
    }

    "Make an ASID pool (riscv64 numbering)."
    AsidControlMakePool = 35 on AsidControl {
        mrs {
            INDEX index = "the empty destination slot, resolved in `root`";
            DEPTH depth = "bits of `index` to resolve";
        }
        caps {
            UNTYPED untyped = "a 4 KiB RAM untyped without children, the pool's memory";
            ROOT root = "the CNode `index` is resolved in";
        }
        reply {}
    }

    "Assign an ASID to a VSpace (riscv64 numbering)."
    AsidPoolAssign = 36 on AsidPool {
        mrs {}
        caps { VSPACE vspace = "the page table to become a VSpace root"; }
        reply {}
    }

    "Make an IRQ handler capability with a trigger mode (riscv64 numbering)."
    IrqIssueIrqHandlerTrigger = 37 on IrqControl {
        mrs {
            IRQ irq = "the interrupt line";
            TRIGGER trigger = "1 edge-triggered, 0 level-triggered";
            INDEX index = "the empty destination slot, resolved in `root`";
            DEPTH depth = "bits of `index` to resolve";
        }
        caps { ROOT root = "the CNode `index` is resolved in"; }
        reply {}
    }
}
