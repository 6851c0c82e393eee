//! The snapshot as a JSON document: what `selvm run --stats FILE` writes and the
//! browser page reads (docs/hosted.md describes its fields). One object per line
//! inside each list, addresses and words as hex strings (they need not fit a
//! JavaScript number), small counts as numbers; the order is the snapshot's.

use super::{CdtNode, NotificationState, Snapshot, ThreadView};
use alloc::string::String;
use core::fmt::Write;
use selvm_abi::CapRights;
use selvm_kernel::cap::{Cap, FrameSize, VmRights, ZombieKind};
use selvm_kernel::object::endpoint::EpState;

impl Snapshot {
    /// The snapshot as a JSON document (ends with a newline).
    pub fn to_json(&self) -> String {
        let mut o = String::new();
        let _ = write!(
            o,
            "{{\"instructions\":{},\"kernel_entries\":{},\"now_ns\":{},\"current\":\"{:#x}\",",
            self.instructions, self.kernel_entries, self.now_ns, self.current
        );
        list(&mut o, "threads", &self.threads, thread);
        o.push(',');
        list(&mut o, "endpoints", &self.endpoints, |o, e| {
            let state = match e.state {
                EpState::Idle => "idle",
                EpState::Send => "send",
                EpState::Recv => "recv",
            };
            let _ = write!(o, "{{\"object\":\"{:#x}\",\"state\":\"{state}\",", e.object);
            queue(o, &e.queue);
            o.push('}');
        });
        o.push(',');
        list(&mut o, "notifications", &self.notifications, |o, n| {
            let state = match n.state {
                NotificationState::Idle => "idle",
                NotificationState::Waiting => "waiting",
                NotificationState::Active => "active",
            };
            let _ = write!(
                o,
                "{{\"object\":\"{:#x}\",\"state\":\"{state}\",\"word\":\"{:#x}\",\"bound\":{},",
                n.object,
                n.word,
                opt(n.bound)
            );
            queue(o, &n.queue);
            o.push('}');
        });
        let _ = write!(
            o,
            ",\n\"cspace\":{{\"cnode\":\"{:#x}\",\"radix\":{},",
            self.cspace.cnode, self.cspace.radix
        );
        list(&mut o, "slots", &self.cspace.slots, |o, (index, c)| {
            let _ = write!(o, "{{\"index\":{index},\"cap\":");
            cap(o, c);
            o.push('}');
        });
        o.push_str("},");
        list(&mut o, "cdt", &self.cdt, cdt_node);
        o.push_str("}\n");
        o
    }
}

/// `"name":[` then one item a line, then `]`.
fn list<T>(o: &mut String, name: &str, items: &[T], mut each: impl FnMut(&mut String, &T)) {
    let _ = write!(o, "\n\"{name}\":[");
    for (i, item) in items.iter().enumerate() {
        o.push_str(if i == 0 { "\n" } else { ",\n" });
        each(o, item);
    }
    o.push(']');
}

fn opt(a: Option<u64>) -> String {
    match a {
        Some(a) => alloc::format!("\"{a:#x}\""),
        None => "null".into(),
    }
}

fn queue(o: &mut String, q: &[u64]) {
    o.push_str("\"queue\":[");
    for (i, t) in q.iter().enumerate() {
        let _ = write!(o, "{}\"{t:#x}\"", if i == 0 { "" } else { "," });
    }
    o.push(']');
}

fn thread(o: &mut String, t: &ThreadView) {
    let mut name = String::new();
    escape(&mut name, &t.name);
    let _ = write!(
        o,
        "{{\"tcb\":\"{:#x}\",\"name\":\"{name}\",\"priority\":{},\"mcp\":{},\"state\":\"{:?}\",\
         \"blocked_on\":{},\"bound_notification\":{},\"fault_handler\":\"{:#x}\",\"ipc_buffer\":\"{:#x}\"}}",
        t.tcb,
        t.priority,
        t.mcp,
        t.state,
        opt(t.blocked_on),
        opt(t.bound_notification),
        t.fault_handler,
        t.ipc_buffer
    );
}

fn cdt_node(o: &mut String, n: &CdtNode) {
    let _ = write!(
        o,
        "{{\"slot\":\"{:#x}\",\"container\":\"{:#x}\",\"index\":{},\"parent\":{},\"cap\":",
        n.slot,
        n.place.0,
        n.place.1,
        opt(n.parent)
    );
    cap(o, &n.cap);
    o.push('}');
}

/// Rights as four letters, `-` where absent: Read, Write, Grant, grant-reply (`g`).
fn rights(r: CapRights) -> String {
    [
        (CapRights::READ, 'R'),
        (CapRights::WRITE, 'W'),
        (CapRights::GRANT, 'G'),
        (CapRights::GRANT_REPLY, 'g'),
    ]
    .iter()
    .map(|&(bit, c)| if r.bits() & bit.bits() != 0 { c } else { '-' })
    .collect()
}

/// A cap: `type`, the `object` it names (if any) and its own fields.
fn cap(o: &mut String, c: &Cap) {
    let _ = write!(o, "{{\"type\":\"{}\"", c.type_name());
    if let Some((ptr, bits)) = c.region() {
        let _ = write!(o, ",\"object\":\"{ptr:#x}\",\"size_bits\":{bits}");
    }
    let _ = match *c {
        Cap::Untyped {
            is_device,
            watermark,
            ..
        } => write!(
            o,
            ",\"device\":{is_device},\"watermark\":\"{watermark:#x}\""
        ),
        Cap::Endpoint {
            badge, rights: r, ..
        }
        | Cap::Notification {
            badge, rights: r, ..
        } => {
            write!(o, ",\"badge\":\"{badge:#x}\",\"rights\":\"{}\"", rights(r))
        }
        Cap::Reply {
            tcb,
            master,
            can_grant,
        } => write!(
            o,
            ",\"object\":\"{tcb:#x}\",\"master\":{master},\"can_grant\":{can_grant}"
        ),
        Cap::CNode {
            guard_size, guard, ..
        } => write!(o, ",\"guard_size\":{guard_size},\"guard\":\"{guard:#x}\""),
        Cap::IrqHandler { irq } => write!(o, ",\"irq\":{irq}"),
        Cap::Zombie {
            kind, remaining, ..
        } => {
            let of = match kind {
                ZombieKind::CNode { .. } => "cnode",
                ZombieKind::Tcb => "tcb",
            };
            write!(o, ",\"of\":\"{of}\",\"remaining\":{remaining}")
        }
        Cap::Frame {
            size,
            rights: r,
            is_device,
            mapping,
            ..
        } => {
            let size = match size {
                FrameSize::Small => "4K",
                FrameSize::Large => "2M",
                FrameSize::Huge => "1G",
            };
            let r = match r {
                VmRights::KernelOnly => "--",
                VmRights::ReadOnly => "R-",
                VmRights::ReadWrite => "RW",
            };
            let _ = write!(
                o,
                ",\"size\":\"{size}\",\"rights\":\"{r}\",\"device\":{is_device}"
            );
            mapping_field(o, mapping)
        }
        Cap::PageTable { mapping, .. } => mapping_field(o, mapping),
        Cap::AsidPool { asid_base, .. } => write!(o, ",\"asid_base\":{asid_base}"),
        Cap::Arch(a) => write!(o, ",\"kind\":{},\"data\":\"{:#x}\"", a.kind, a.data),
        Cap::Null | Cap::Thread { .. } | Cap::IrqControl | Cap::Domain | Cap::AsidControl => Ok(()),
    };
    o.push('}');
}

fn mapping_field(o: &mut String, mapping: Option<(u16, u64)>) -> core::fmt::Result {
    match mapping {
        Some((asid, vaddr)) => write!(
            o,
            ",\"mapped\":{{\"asid\":{asid},\"vaddr\":\"{vaddr:#x}\"}}"
        ),
        None => write!(o, ",\"mapped\":null"),
    }
}

/// `s` as the inside of a JSON string.
fn escape(o: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                let _ = write!(o, "\\u{:04x}", c as u32);
            }
            c => o.push(c),
        }
    }
}
