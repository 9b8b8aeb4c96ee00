//! Stop signals that contradict each other: an end of stream is the API's
//! own signal, so a contradiction fails the run (or warns, where the API
//! may be right), naming the page's URL and the config paths involved.

use faucet_core::{FaucetError, Result};

use super::PartitionState;
use crate::config::RestOnTotalMismatch;
use crate::extract::Decoded;
use crate::plan::Plan;

/// Takes in a page's counts: records read, and the total the API
/// announced (the first one seen is kept).
pub(crate) fn count(state: &mut PartitionState, decoded: &Decoded) {
    state.read = state.read.map(|r| r + decoded.received as u64);
    state.total = state.total.or(decoded.total);
}

/// At a partition's end (`why`), compares the records read with the
/// API's total: fewer is an error (or a warning with
/// `on_total_mismatch: warn`). Skipped after `max_pages`, which asks for a
/// part of the stream, and for a checkpoint of an older version that did
/// not count.
pub(crate) fn reconcile(plan: &Plan, state: &PartitionState, url: &str, why: &str) -> Result<()> {
    let (Some(read), Some(total)) = (state.read, state.total) else {
        return Ok(());
    };
    if read >= total || why == "max_pages reached" {
        return Ok(());
    }
    let source = if plan.stop.total_path.is_some() {
        "`pagination.stop.total_path`"
    } else {
        "a total header (`pagination.stop.total_headers`)"
    };
    let message = format!(
        "pagination ended ({why}) at {url} after {read} records, but the API announced {total} in {source}; the stream is incomplete (check `pagination` against the API's docs, or set `pagination.stop.on_total_mismatch: warn` to accept it)"
    );
    match plan.stop.on_total_mismatch {
        RestOnTotalMismatch::Error => Err(FaucetError::source_error(message)),
        RestOnTotalMismatch::Warn => {
            tracing::warn!(url = %url, read, total, "Fewer records than the API's total");
            Ok(())
        }
    }
}

/// At a partition's end (`why`), compares the pages read with the page
/// count the API announced (`total_pages_path`): fewer is an error (or a
/// warning with `on_total_mismatch: warn`), as for a record total.
pub(crate) fn reconcile_pages(
    plan: &Plan,
    read_pages: u64,
    total_pages: u64,
    url: &str,
    why: &str,
) -> Result<()> {
    if read_pages >= total_pages || why == "max_pages reached" {
        return Ok(());
    }
    let message = format!(
        "pagination ended ({why}) at {url} after {read_pages} pages, but the API announced {total_pages} in `pagination.stop.total_pages_path`; the stream is incomplete (check `pagination` against the API's docs, or set `pagination.stop.on_total_mismatch: warn` to accept it)"
    );
    match plan.stop.on_total_mismatch {
        RestOnTotalMismatch::Error => Err(FaucetError::source_error(message)),
        RestOnTotalMismatch::Warn => {
            tracing::warn!(url = %url, read_pages, total_pages, "Fewer pages than the API's page count");
            Ok(())
        }
    }
}

/// A loop guard fired at `decoded`'s page (`what`: the previous page's body
/// again, a cursor or link seen before): the API ignores the paging
/// parameter, or loops. That ends the stream only when nothing the API
/// said contradicts it: `has_more` true on the repeated page, or a total
/// above what was read, is an error naming the URL and the parameter.
pub(crate) fn repeated(
    plan: &Plan,
    state: &PartitionState,
    decoded: &Decoded,
    what: &str,
) -> Result<()> {
    if decoded.has_more == Some(true) {
        let has_more = plan.stop.has_more_path.as_deref().unwrap_or_default();
        return Err(FaucetError::source_error(format!(
            "the page at {} repeats {what} while it says more pages follow (`pagination.stop.has_more_path`: `{has_more}` is true): the API ignores or loops on the paging parameter; check `pagination.param` (and {}) against the API's docs",
            decoded.url, plan.next_field
        )));
    }
    reconcile(plan, state, &decoded.url, what)
}

/// `has_more` says more pages follow but there is no cursor or link.
pub(crate) fn more_without_next(plan: &Plan, decoded: &Decoded) -> FaucetError {
    let has_more = plan.stop.has_more_path.as_deref().unwrap_or_default();
    FaucetError::source_error(format!(
        "the page at {} says more pages follow (`pagination.stop.has_more_path`: `{has_more}` is true) but {} gave no next page; check {}",
        decoded.url, plan.next_field, plan.next_field
    ))
}

/// Whether every page so far had a cursor or link, and their largest
/// size: a full page without one after that is suspicious.
#[derive(Debug, Default)]
pub(crate) struct NextHistory {
    pages: u64,
    largest: usize,
}

impl NextHistory {
    /// Takes in a page that has a next position.
    pub(crate) fn linked(&mut self, received: usize) {
        self.pages += 1;
        self.largest = self.largest.max(received);
    }

    /// Warns when a full page ends the stream after pages that all had a
    /// next position (the cursor path may have a typo, or the API changed
    /// shape mid-stream); on a first page, notes that the path found
    /// nothing.
    pub(crate) fn check_end(&self, plan: &Plan, decoded: &Decoded) {
        if self.pages > 0 && decoded.received > 0 && decoded.received >= self.largest {
            tracing::warn!(
                url = %decoded.url,
                field = plan.next_field,
                records = decoded.received,
                "A full page has no next page after {} pages that had one; ending pagination, but the stream may be incomplete",
                self.pages
            );
        } else if self.pages == 0 && decoded.received > 0 {
            tracing::info!(
                url = %decoded.url,
                field = plan.next_field,
                "The first page has no next page; reading one page"
            );
        }
    }
}
