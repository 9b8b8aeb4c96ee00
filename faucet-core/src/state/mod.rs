//! Where the pipeline keeps checkpoints for sinks that do not keep their own.

mod file;
mod lock;
mod memory;

pub use file::{FileStateStore, write_file_atomically};
pub use lock::RunLock;
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
///
/// # Example
///
/// ```
/// use std::collections::HashMap;
/// use std::sync::Mutex;
/// use faucet_core::connector::*;
/// use faucet_core::StateStore;
///
/// #[derive(Default)]
/// struct InMemory(Mutex<HashMap<String, Checkpoint>>);
///
/// #[async_trait]
/// impl StateStore for InMemory {
///     async fn load(&self, pipeline: &str) -> Result<Option<Checkpoint>> {
///         Ok(self.0.lock().unwrap().get(pipeline).cloned())
///     }
///     async fn save(&self, pipeline: &str, checkpoint: &Checkpoint) -> Result<()> {
///         self.0.lock().unwrap().insert(pipeline.to_owned(), checkpoint.clone());
///         Ok(())
///     }
/// }
/// ```
#[async_trait]
pub trait StateStore: Send + Sync {
    /// The last checkpoint saved for `pipeline`, if any.
    async fn load(&self, pipeline: &str) -> Result<Option<Checkpoint>>;

    /// Saves `checkpoint` for `pipeline`, replacing the previous one. When
    /// this returns `Ok`, the checkpoint survives a crash.
    async fn save(&self, pipeline: &str, checkpoint: &Checkpoint) -> Result<()>;

    /// Forgets the checkpoint of `pipeline`, so its next run starts from
    /// the beginning. Clearing a pipeline with no checkpoint succeeds.
    /// Default: [`FaucetError::Unsupported`](crate::FaucetError::Unsupported).
    async fn clear(&self, pipeline: &str) -> Result<()> {
        let _ = pipeline;
        Err(crate::FaucetError::Unsupported {
            connector: std::any::type_name::<Self>().to_owned(),
            operation: "clearing a checkpoint".to_owned(),
        })
    }
}
