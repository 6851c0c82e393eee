//! The cluster's wire and guest-message decoders and a node's protocol core under
//! hostile bytes: frames from a peer, messages from a guest, connections coming and
//! going, time moving on. Any panic is a finding.
//!
//! The logic lives in `selvm_cluster_proto::fuzzing::run`, which that crate's property
//! test runs too.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| selvm_cluster_proto::fuzzing::run(data));
