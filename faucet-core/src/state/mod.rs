//! Where the pipeline keeps checkpoints for sinks that do not keep their own.

mod file;
mod memory;

pub use file::{FileStateStore, write_file_atomically};
pub use memory::MemoryStateStore;

use async_trait::async_trait;

use crate::error::Result;
use crate::page::Checkpoint;

/// Stores one checkpoint per pipeline name.
///
/// The pipeline saves a checkpoint only after the sink has made every row
/// before it durable, so a crash replays at most the pages after the last
/// save (at-least-once). Sinks with atomic checkpoints make this store
/// unnecessary.
#[async_trait]
pub trait StateStore: Send + Sync {
    /// The last checkpoint saved for `pipeline`, if any.
    async fn load(&self, pipeline: &str) -> Result<Option<Checkpoint>>;

    /// Saves `checkpoint` for `pipeline`, replacing the previous one. When
    /// this returns `Ok`, the checkpoint survives a crash.
    async fn save(&self, pipeline: &str, checkpoint: &Checkpoint) -> Result<()>;
}
