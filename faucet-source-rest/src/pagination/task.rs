//! [`Spawned`]: a task that stops when nobody waits for it any more.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use faucet_core::{FaucetError, Result};
use tokio::task::JoinHandle;

/// A spawned task, aborted when this handle is dropped (a speculative page
/// past the end, a page stream dropped mid-run). Work on a task of its own
/// goes on while its owner is not polled, so a request that holds one of
/// the client's concurrency permits always finishes and gives it back.
#[derive(Debug)]
pub(crate) struct Spawned<T>(JoinHandle<T>);

impl<T: Send + 'static> Spawned<T> {
    /// Spawns `future` on the current runtime, in the caller's span (so
    /// its log lines keep their run).
    pub(crate) fn new(future: impl Future<Output = T> + Send + 'static) -> Self {
        Self(tokio::spawn(tracing::Instrument::in_current_span(future)))
    }
}

impl<T> Future for Spawned<T> {
    type Output = Result<T>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.0).poll(cx).map(|joined| {
            joined.map_err(|e| FaucetError::source_error(format!("a task failed: {e}")))
        })
    }
}

impl<T> Drop for Spawned<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}
