//! The process allocator.
//!
//! Decoding pages allocates many small values on the source's tasks that
//! the sink's task frees; mimalloc does this much faster than the system
//! allocator: in `bench/`, REST → PostgreSQL append went from 0.86× to
//! about 1.1× the `psql \copy` rate, REST → JSON Lines from 1.05× to about
//! 1.3× the naive loop. The price is memory: mimalloc commits its arenas
//! eagerly and keeps freed pages for a while, so peak RSS is about 80 MiB
//! instead of about 40 MiB (flat in the number of records either way).
//! Setting `MIMALLOC_ARENA_EAGER_COMMIT=0` and `MIMALLOC_PURGE_DELAY=50` in
//! the environment brings it back under 40 MiB for a few percent of speed.

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
