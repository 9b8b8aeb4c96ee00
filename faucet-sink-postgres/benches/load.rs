//! Load benchmark (placeholder).
fn main() {}
