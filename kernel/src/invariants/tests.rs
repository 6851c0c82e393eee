//! Tests of the checker itself: each rule caught on purpose-made corruption.
