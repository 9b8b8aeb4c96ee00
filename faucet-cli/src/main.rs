//! The faucet command.

fn main() {}
