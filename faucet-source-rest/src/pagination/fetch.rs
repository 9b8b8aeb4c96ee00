//! Fetching one page, and decoding it on another task.
//!
//! The two halves are separate so page-number and offset pagination can
//! start the next fetch while the previous page decodes.

use std::sync::Arc;

use faucet_core::{CancellationToken, FaucetError, Result};
use tokio::task::JoinHandle;

use super::{PartitionState, Position};
use crate::extract::{Decoded, decode, link_next};
use crate::incremental::{Threshold, format_value};
use crate::plan::Paging;
use crate::stream::Shared;

/// A page's decoding, running on its own task.
pub(crate) struct Decoding(JoinHandle<Result<Decoded>>);

impl Decoding {
    /// Waits for the decoded page.
    pub(crate) async fn finish(mut self) -> Result<Decoded> {
        (&mut self.0)
            .await
            .map_err(|e| FaucetError::source_error(format!("decoding task failed: {e}")))?
    }
}

impl Drop for Decoding {
    fn drop(&mut self) {
        // A speculative page that is discarded stops decoding.
        self.0.abort();
    }
}

/// Fetches `position` of partition `part` and starts decoding it on a
/// spawned task (in parallel with other fetches, decodes and the sink).
pub(crate) async fn start_page(
    shared: &Arc<Shared>,
    part: usize,
    position: &Position,
    state: &PartitionState,
    cancel: &CancellationToken,
) -> Result<Decoding> {
    let plan = &shared.plan;
    let since = match (&state.since, &plan.incremental) {
        (Some(value), Some(inc)) => Some(format_value(value, inc.format)?),
        _ => None,
    };
    let request = plan.request(part, position, since.as_deref())?;
    let response = shared.client.send(&request, cancel).await?;
    let link = match plan.paging {
        Paging::LinkHeader => response
            .headers
            .get("link")
            .and_then(|v| v.to_str().ok())
            .and_then(link_next),
        _ => None,
    };
    let threshold = state.since.clone().map(|value| Threshold {
        value,
        inclusive: state.since_inclusive,
    });
    let (shared, body, url) = (shared.clone(), response.body, response.url);
    let task = tokio::spawn(async move {
        let mut decoded = decode(&body, &url, &shared.spec, threshold.as_ref())?;
        if link.is_some() {
            decoded.next_url = link;
        }
        if let Some(next) = decoded.next_url.take() {
            decoded.next_url = Some(absolute_next(&shared, &request.url, &next)?);
        }
        Ok(decoded)
    });
    Ok(Decoding(task))
}

/// Fetches and decodes one page. Next links come back absolute.
pub(crate) async fn fetch_page(
    shared: &Arc<Shared>,
    part: usize,
    position: &Position,
    state: &PartitionState,
    cancel: &CancellationToken,
) -> Result<Decoded> {
    start_page(shared, part, position, state, cancel)
        .await?
        .finish()
        .await
}

/// `next` resolved against the request URL, without the client's own
/// credentials (which must not reach checkpoints).
fn absolute_next(shared: &Shared, base: &url::Url, next: &str) -> Result<String> {
    let mut absolute = base.join(next).map_err(|e| {
        FaucetError::source_error(format!(
            "next link `{}` from {} is not a valid URL: {e}",
            faucet_common_http::redact_url(next, &[]),
            shared.client.redact(base)
        ))
    })?;
    shared.client.strip_credentials(&mut absolute);
    Ok(absolute.to_string())
}
