//! A state store in memory, for tests and one-shot runs.

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;

use super::StateStore;
use crate::error::Result;
use crate::page::Checkpoint;

/// Keeps checkpoints in memory; they are gone when the process exits.
#[derive(Debug, Default)]
pub struct MemoryStateStore {
    checkpoints: Mutex<HashMap<String, Checkpoint>>,
}

impl MemoryStateStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }
}

#[async_trait]
impl StateStore for MemoryStateStore {
    async fn load(&self, pipeline: &str) -> Result<Option<Checkpoint>> {
        let map = self.checkpoints.lock().unwrap_or_else(|e| e.into_inner());
        Ok(map.get(pipeline).cloned())
    }

    async fn save(&self, pipeline: &str, checkpoint: &Checkpoint) -> Result<()> {
        let mut map = self.checkpoints.lock().unwrap_or_else(|e| e.into_inner());
        map.insert(pipeline.to_owned(), checkpoint.clone());
        Ok(())
    }

    async fn clear(&self, pipeline: &str) -> Result<()> {
        let mut map = self.checkpoints.lock().unwrap_or_else(|e| e.into_inner());
        map.remove(pipeline);
        Ok(())
    }
}
