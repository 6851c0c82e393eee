//! Tests.
use crate::Test;
/// The tests of this area.
pub const TESTS: &[Test] = &[];
