//! The seLVM command-line tool.
fn main() {}
