//! Benchmarks and proofs of faucet's claims (in progress).
