//! The duplex binary.
fn main() {}
