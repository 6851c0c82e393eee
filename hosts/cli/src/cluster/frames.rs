//! A node's shared region: the cluster's shared frames file on this host
//! (`selvm_cluster::frames`, named from the configuration so every co-located node of
//! the cluster maps the same one) attached to the machine as its shared region device
//! (`selvm_machine::devices::SharedRegion`). Not with `shm = false`, and not where the
//! host has no such files (then the guest reads 0 frames and shares none).

use selvm_cluster::ClusterConfig;
use selvm_machine::Machine;

#[cfg(unix)]
mod imp {
    use selvm_cluster::frames::SharedFrames;
    use selvm_machine::devices::SharedMemory;

    /// The host's mapping as the machine's shared memory.
    pub struct Frames(pub SharedFrames);

    impl SharedMemory for Frames {
        fn pages(&self) -> u64 {
            selvm_cluster::frames::PAGES
        }
        fn load(&self, offset: u64, buf: &mut [u8]) {
            self.0.load(offset, buf)
        }
        fn store(&self, offset: u64, buf: &[u8]) {
            self.0.store(offset, buf)
        }
        fn alloc(&self) -> Option<u64> {
            self.0.alloc()
        }
        fn free(&self, page: u64) -> bool {
            self.0.free(page)
        }
    }
}

/// Attaches the cluster's shared frames to node `id`'s machine, or says why not.
pub fn attach(machine: &mut Machine, config: &ClusterConfig, id: u64) {
    if !config.shm {
        return;
    }
    #[cfg(unix)]
    {
        use selvm_machine::devices::SharedRegion;
        let folder = selvm_cluster::shm::folder();
        match selvm_cluster::frames::SharedFrames::open(&folder, &config.frames_tag()) {
            Ok(f) => {
                let region = SharedRegion::new(Box::new(imp::Frames(f)));
                if let Err(e) = machine.devices().attach(Box::new(region)) {
                    eprintln!("node {id}: no shared frames: the region's place is taken ({e:?})");
                }
            }
            Err(e) => eprintln!("node {id}: no shared frames: {e}"),
        }
    }
    #[cfg(not(unix))]
    let _ = (machine, id);
}
