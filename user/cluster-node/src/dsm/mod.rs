//! Distributed shared memory across the cluster's nodes (issue 21 item 4): a region of
//! [`PAGES`] 4 KiB pages at [`BASE`] in every node's root VSpace, coherent page by page
//! with one writer or many readers (IVY's protocol with invalidation, its fixed
//! distributed manager: page `p` is managed by node `p % nodes + 1`), built at user
//! level the seL4 way. The region starts unmapped; a thread touching it faults to its
//! node's [`pager`] (its TCB's fault endpoint), which asks the page's [`manager`] for a
//! read copy or for ownership; the manager has the [`keeper`]s of the other nodes
//! downgrade or unmap their copies, has the faulting node's keeper fetch the page from
//! a node holding it current (through that node's reader: its nonzero words),
//! map it with the right rights, and answers; the pager then replies to the fault,
//! which restarts the access. A page whose only current copy was on a node that died,
//! or whose manager died, fails the access with a defined fault ([`pager::Failure`]):
//! the thread is suspended and its failure recorded, never left hanging. The memory
//! model (sequentially consistent: docs/cluster.md argues it) is what the [`lock`]
//! (a bakery lock from plain loads and stores) and the [`litmus`] tests rely on.

pub mod bench;
pub mod keeper;
pub mod litmus;
pub mod lock;
pub mod manager;
pub mod node_down;
pub mod pager;
pub mod role;

use crate::device::Devices;
use crate::names::{self, Name};
use core::sync::atomic::{AtomicU64, AtomicUsize, Ordering::SeqCst};
use libsel4::{CPtr, CapRights, Error, cnode, vspace::page};
use sel4rt::{Env, PAGE_SIZE, ROOT_CNODE, ROOT_VSPACE, types};

/// Pages of the shared region.
pub const PAGES: usize = 24;
/// The region's virtual address, the same on every node.
pub const BASE: usize = 0xC000_0000;
/// 64-bit words in a page.
pub const WORDS: usize = PAGE_SIZE / 8;
/// Most nodes the DSM serves (node ids 1 to `MAX_NODES - 1`).
pub const MAX_NODES: usize = 8;
/// Priority of the DSM's threads and of the threads using it (below the network
/// service's workers): equal, so a keeper yielding lets a restarted thread run.
pub const PRIORITY: u64 = 100;
/// Label of a failed DSM request (MR0 the [`pager::Failure`] code, MR1 the node).
pub const FAILED: u64 = 90;

/// What a node holds of a page, as its keeper last mapped it.
pub const HELD_NONE: u64 = 0;
/// Mapped read-only.
pub const HELD_READ: u64 = 1;
/// Mapped read-write.
pub const HELD_WRITE: u64 = 2;

#[allow(clippy::declare_interior_mutable_const)]
const ZERO: AtomicU64 = AtomicU64::new(0);
/// This node's frames of the region (consecutive root slots from this one).
static FRAMES: AtomicU64 = ZERO;
/// Where this node's frames are also mapped read-write for its keeper and reader.
static ALIAS: AtomicUsize = AtomicUsize::new(0);
/// What this node holds of each page ([`HELD_NONE`], …), and when it was granted.
static HELD: [AtomicU64; PAGES] = [ZERO; PAGES];
static GRANTED_AT: [AtomicU64; PAGES] = [ZERO; PAGES];
static RESTART: [AtomicU64; PAGES] = [ZERO; PAGES];
static ME: AtomicU64 = ZERO;
static NODES: AtomicU64 = ZERO;
static TIMER: AtomicUsize = AtomicUsize::new(0);
static NET: AtomicUsize = AtomicUsize::new(0);
/// First root slots of the caps to every node's manager, keeper and reader (by node).
static MANAGERS: AtomicU64 = ZERO;
static KEEPERS: AtomicU64 = ZERO;
static READERS: AtomicU64 = ZERO;
/// Numbered proxies for every node's control object (node 1 stops the others).
static CONTROLS: AtomicU64 = ZERO;

/// This node's id.
pub fn me() -> u64 {
    ME.load(SeqCst)
}

/// Nodes in the cluster.
pub fn nodes() -> u64 {
    NODES.load(SeqCst)
}

/// The devices (the timer for deadlines and measurements).
pub fn devices() -> Devices {
    Devices::at(TIMER.load(SeqCst), NET.load(SeqCst))
}

/// Machine time in ns.
pub fn now_ns() -> u64 {
    devices().now_ns()
}

/// The node that manages `page` (IVY's fixed distributed manager).
pub fn manager_of(page: usize) -> u64 {
    page as u64 % nodes().max(1) + 1
}

/// The cap to node `node`'s manager, keeper or reader.
pub fn manager_cap(node: u64) -> CPtr {
    MANAGERS.load(SeqCst) + node
}
/// The cap to node `node`'s keeper.
pub fn keeper_cap(node: u64) -> CPtr {
    KEEPERS.load(SeqCst) + node
}
/// The cap to node `node`'s reader.
pub fn reader_cap(node: u64) -> CPtr {
    READERS.load(SeqCst) + node
}
/// The numbered proxy to node `node`'s control object.
pub fn control_cap(node: u64) -> CPtr {
    CONTROLS.load(SeqCst) + node
}

/// This node's frame of `page`.
pub fn frame(page: usize) -> CPtr {
    FRAMES.load(SeqCst) + page as CPtr
}

/// What this node holds of `page`.
pub fn held(page: usize) -> u64 {
    HELD[page].load(SeqCst)
}

/// Records what this node holds of `page` (the keeper, after mapping it).
pub fn set_held(page: usize, what: u64) {
    HELD[page].store(what, SeqCst);
    GRANTED_AT[page].store(now_ns(), SeqCst);
}

/// No thread's access is owed `page` (the keeper may take it away at once).
pub const RESTART_NONE: u64 = 0;
/// The keeper installed `page` for a fault the pager has not replied to yet.
pub const RESTART_PENDING: u64 = 1;
/// The pager restarted the thread; it may not have run its access yet.
pub const RESTART_QUEUED: u64 = 2;

/// Records where the thread whose fault installed `page` is ([`RESTART_NONE`], …).
pub fn set_restart(page: usize, state: u64) {
    RESTART[page].store(state, SeqCst);
}

/// Where the thread whose fault installed `page` is.
pub fn restart(page: usize) -> u64 {
    RESTART[page].load(SeqCst)
}

/// When this node was last granted `page`.
pub fn granted_at(page: usize) -> u64 {
    GRANTED_AT[page].load(SeqCst)
}

/// Word `word` of this node's frame of `page`, through the keeper's mapping (whatever
/// the region's mapping is).
pub fn frame_word(page: usize, word: usize) -> *mut u64 {
    (ALIAS.load(SeqCst) + page * PAGE_SIZE + (word % WORDS) * 8) as *mut u64
}

/// The address of word `word` of `page` in the shared region.
pub fn shared(page: usize, word: usize) -> *mut u64 {
    (BASE + (page % PAGES) * PAGE_SIZE + (word % WORDS) * 8) as *mut u64
}

/// Reads word `word` of shared page `page` (a fault brings a current copy first).
pub fn read(page: usize, word: usize) -> u64 {
    // SAFETY: the region's address is fixed and never a Rust object's; an access to
    // an unmapped page faults to the pager, which maps the page and restarts it (or
    // suspends this thread). Volatile: every access is made, in program order.
    unsafe { shared(page, word).read_volatile() }
}

/// Writes word `word` of shared page `page` (a fault brings ownership first).
pub fn write(page: usize, word: usize, value: u64) {
    // SAFETY: as for `read`.
    unsafe { shared(page, word).write_volatile(value) }
}

/// The region's page an address lies in.
pub fn page_of(address: u64) -> Option<usize> {
    let offset = address.checked_sub(BASE as u64)? as usize;
    Some(offset / PAGE_SIZE).filter(|&p| p < PAGES)
}

/// Sets up node `me`'s region (frames, the keeper's alias mapping, the page tables
/// the region needs, left unmapped) and its DSM threads; `service` is the network
/// service's endpoint (for the control proxies). The role's coordinator registers
/// and looks up the names and starts the rest ([`role`]).
pub fn start(
    env: &mut Env,
    dev: Devices,
    me: u64,
    nodes: u64,
    service: CPtr,
    program: u64,
) -> Result<(), Error> {
    ME.store(me, SeqCst);
    NODES.store(nodes.min(MAX_NODES as u64 - 1), SeqCst);
    let (timer, net) = dev.addresses();
    TIMER.store(timer, SeqCst);
    NET.store(net, SeqCst);
    let frames = env.retype_many(types::FRAME, 0, PAGES)?;
    FRAMES.store(frames, SeqCst);
    let alias = env.alloc_vaddr(PAGES);
    ALIAS.store(alias, SeqCst);
    for p in 0..PAGES {
        let copy = env.slots.alloc()?;
        cnode::copy(
            ROOT_CNODE,
            copy,
            64,
            ROOT_CNODE,
            frames + p as CPtr,
            64,
            CapRights::ALL,
        )?;
        env.map_frame(ROOT_VSPACE, copy, alias + p * PAGE_SIZE, CapRights::ALL)?;
        // Mapped once so the page tables exist, then unmapped: the region starts empty.
        env.map_frame(
            ROOT_VSPACE,
            frames + p as CPtr,
            BASE + p * PAGE_SIZE,
            CapRights::ALL,
        )?;
        page::unmap(frames + p as CPtr)?;
    }
    MANAGERS.store(env.slots.alloc_range(MAX_NODES)?, SeqCst);
    KEEPERS.store(env.slots.alloc_range(MAX_NODES)?, SeqCst);
    READERS.store(env.slots.alloc_range(MAX_NODES)?, SeqCst);
    let controls = env.slots.alloc_range(MAX_NODES)?;
    CONTROLS.store(controls, SeqCst);
    let proxy = CapRights::new(true, false, false, true);
    for n in 1..=self::nodes() {
        let badge = crate::service::proxy_badge(n, 0);
        cnode::mint(
            ROOT_CNODE,
            controls + n,
            64,
            ROOT_CNODE,
            service,
            64,
            proxy,
            badge,
        )?;
    }
    let endpoints = [
        env.retype(types::ENDPOINT, 0)?,
        env.retype(types::ENDPOINT, 0)?,
        env.retype(types::ENDPOINT, 0)?,
    ];
    pager::start(env)?;
    role::start(env, endpoints, program)
}

/// The names of node `node`'s manager, keeper and reader.
fn service_names(node: u64) -> [Name; 3] {
    [
        Name::numbered("dsm-manager@", node),
        Name::numbered("dsm-keeper@", node),
        Name::numbered("dsm-reader@", node),
    ]
}

/// Registers this node's three endpoints and looks every node's up (trying until
/// `deadline`, machine time: names spread between replicas); false if one was not
/// found in time.
pub fn connect(endpoints: [CPtr; 3], deadline: u64) -> bool {
    for (name, ep) in service_names(me()).iter().zip(endpoints) {
        while names::register(name, ep).is_err() {
            if now_ns() > deadline {
                return false;
            }
            libsel4::yield_now();
        }
    }
    let tables = [
        MANAGERS.load(SeqCst),
        KEEPERS.load(SeqCst),
        READERS.load(SeqCst),
    ];
    for n in 1..=nodes() {
        for (name, first) in service_names(n).iter().zip(tables) {
            while names::lookup(name, first + n).is_err() {
                if now_ns() > deadline {
                    return false;
                }
                libsel4::yield_now();
            }
        }
    }
    true
}
