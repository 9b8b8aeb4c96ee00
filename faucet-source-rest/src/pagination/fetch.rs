//! Fetching one page, and decoding it on another task.
//!
//! The two halves are separate so page-number and offset pagination can
//! start the next fetch while the previous page decodes. A 2xx body that
//! is not a page (malformed, truncated, HTML, empty, of the wrong shape)
//! is requested again within the client's retry limits, then fails naming
//! the URL, status, content type and the body's first bytes.

use std::sync::Arc;

use faucet_common_http::header::CONTENT_TYPE;
use faucet_core::{CancellationToken, FaucetError, Result, RetryCounter};
use tokio::task::JoinHandle;

use super::{PartitionState, Position, Shared, Target};
use crate::extract::{BodyError, Decoded, decode, header_total, join_lines, link_next};
use crate::incremental::{Threshold, format_value};
use crate::plan::Paging;

/// What one run's requests share: its cancellation and its retry counts.
#[derive(Debug, Clone, Default)]
pub(crate) struct RunCtx {
    pub(crate) cancel: CancellationToken,
    pub(crate) retries: RetryCounter,
}

/// What a page's decoding task reports: the page, or why the body is not
/// one (with the status, content type and first bytes for the message).
type Outcome = std::result::Result<Decoded, (BodyError, String)>;

/// A page's decoding, running on its own task; it requests the page again
/// when the body turns out not to be a page.
pub(crate) struct Decoding {
    task: Option<JoinHandle<Outcome>>,
    /// The page's URL, redacted.
    url: String,
    shared: Arc<Shared>,
    target: Target,
    position: Position,
    state: PartitionState,
    run: RunCtx,
}

impl Decoding {
    /// Waits for the decoded page, requesting it again while its body is
    /// not a page and retries are left.
    pub(crate) async fn finish(mut self) -> Result<Decoded> {
        let mut failures = 0u32;
        loop {
            let task = self
                .task
                .as_mut()
                .ok_or_else(|| FaucetError::source_error("a page's decoding was awaited twice"))?;
            let outcome = task
                .await
                .map_err(|e| FaucetError::source_error(format!("decoding task failed: {e}")))?;
            let (reason, context) = match outcome {
                Ok(decoded) => return Ok(decoded),
                Err((BodyError::Records(err), _)) => return Err(err),
                Err((BodyError::NotAPage(reason), context)) => (reason, context),
            };
            failures += 1;
            let err = FaucetError::decode(self.url.clone(), format!("{reason} ({context})"));
            if !self.shared.plan.retry_bodies {
                return Err(err);
            }
            self.shared
                .client
                .pause_after_bad_body(
                    err,
                    failures,
                    &self.url,
                    &self.run.cancel,
                    &self.run.retries,
                )
                .await?;
            let mut again = start_page(
                &self.shared,
                &self.target,
                &self.position,
                &self.state,
                &self.run,
            )
            .await?;
            self.task = again.task.take();
            self.url = std::mem::take(&mut again.url);
        }
    }
}

impl Drop for Decoding {
    fn drop(&mut self) {
        // A speculative page that is discarded stops decoding.
        if let Some(task) = &self.task {
            task.abort();
        }
    }
}

/// Fetches `position` of partition `target` and starts decoding it on a
/// spawned task (in parallel with other fetches, decodes and the sink).
pub(crate) async fn start_page(
    shared: &Arc<Shared>,
    target: &Target,
    position: &Position,
    state: &PartitionState,
    run: &RunCtx,
) -> Result<Decoding> {
    let plan = &shared.plan;
    let since = match (&state.since, &plan.incremental) {
        (Some(value), Some(inc)) => Some(format_value(value, inc.format)?),
        _ => None,
    };
    let request = plan.request(&target.partition, position, since.as_deref())?;
    let response = shared
        .client
        .send_counted(&request, &run.cancel, &run.retries)
        .await?;
    let headers = &response.headers;
    let link = match plan.paging {
        Paging::LinkHeader => join_lines(
            headers
                .get_all("link")
                .iter()
                .filter_map(|v| v.to_str().ok()),
        )
        .as_deref()
        .and_then(link_next),
        _ => None,
    };
    let header_total = header_total(headers, &plan.stop.total_headers).map(|(_, total)| total);
    let content_type = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let context = format!(
        "status {}, content type {}, body starts: `{}`",
        response.status,
        content_type.as_deref().unwrap_or("none"),
        shared.client.body_excerpt(&response.body)
    );
    let threshold = state.since.clone().map(|value| Threshold {
        value,
        inclusive: state.since_inclusive,
    });
    let (task_shared, body, url) = (shared.clone(), response.body, response.url.clone());
    let task = tokio::spawn(async move {
        let shared = task_shared;
        let mut decoded = decode(
            &body,
            &url,
            content_type.as_deref(),
            &shared.plan.spec,
            threshold.as_ref(),
        )
        .map_err(|e| (e, context))?;
        decoded.total = decoded.total.or(header_total);
        if link.is_some() {
            decoded.next_url = link;
        }
        if let Some(next) = decoded.next_url.take() {
            let next = absolute_next(&shared, &request.url, &next)
                .map_err(|e| (BodyError::Records(e), String::new()))?;
            decoded.next_url = Some(next);
        }
        Ok(decoded)
    });
    Ok(Decoding {
        task: Some(task),
        url: response.url,
        shared: shared.clone(),
        target: target.clone(),
        position: position.clone(),
        state: state.clone(),
        run: run.clone(),
    })
}

/// Fetches and decodes one page. Next links come back absolute.
pub(crate) async fn fetch_page(
    shared: &Arc<Shared>,
    target: &Target,
    position: &Position,
    state: &PartitionState,
    run: &RunCtx,
) -> Result<Decoded> {
    start_page(shared, target, position, state, run)
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
            shared.client.redact_text(next),
            shared.client.redact(base)
        ))
    })?;
    shared.client.strip_credentials(&mut absolute);
    Ok(absolute.to_string())
}
