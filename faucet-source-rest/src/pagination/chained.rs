//! Cursor, next-URL and Link-header pagination (and no pagination): each
//! request needs the previous response, so pages go one after another;
//! decoding runs on its own task while the sink writes the previous page.

use std::collections::HashSet;
use std::sync::Arc;

use faucet_core::Result;
use tokio::sync::mpsc;

use super::signals::NextHistory;
use super::{
    Message, PageFacts, PartPage, PartitionState, Position, RunCtx, Shared, Target, emit,
    fetch_page, finish, raise_max, signals, stop_reason,
};
use crate::plan::Paging;

/// Runs one partition to its end, sending pages to `tx`.
pub(crate) async fn run_chained(
    shared: Arc<Shared>,
    target: Target,
    state: PartitionState,
    tx: mpsc::Sender<Message>,
    run: RunCtx,
) {
    if let Err(err) = drive(&shared, &target, state, &tx, &run).await {
        let _ = tx.send((target.index, Err(err))).await;
    }
}

async fn drive(
    shared: &Arc<Shared>,
    target: &Target,
    mut state: PartitionState,
    tx: &mpsc::Sender<Message>,
    run: &RunCtx,
) -> Result<()> {
    let part = target.index;
    let mut seen: HashSet<String> = HashSet::new();
    if let Position::Cursor(c) | Position::Next(c) = &state.position {
        seen.insert(c.clone());
    }
    let mut last_body: Option<bytes::Bytes> = None;
    let mut pages_read = 0u64;
    let mut history = NextHistory::default();
    let paginated = !matches!(shared.plan.paging, Paging::None);
    loop {
        let decoded = fetch_page(shared, target, &state.position.clone(), &state, run).await?;
        pages_read += 1;
        if last_body.as_ref() == Some(&decoded.body) {
            signals::repeated(&shared.plan, &state, &decoded, "the previous page's body")?;
            tracing::warn!(
                partition = part,
                "Same page body twice in a row; ending pagination"
            );
            return finish(tx, part, state).await;
        }
        last_body = Some(decoded.body.clone());
        let next = match shared.plan.paging {
            Paging::Cursor { .. } => decoded.cursor.clone().map(Position::Cursor),
            Paging::NextUrl | Paging::LinkHeader => decoded.next_url.clone().map(Position::Next),
            _ => None,
        };
        let facts = PageFacts {
            received: decoded.received,
            size: None,
            has_more: decoded.has_more,
            total_reached: false,
            pages_read,
        };
        let mut reason = stop_reason(&shared.plan.stop, facts);
        if paginated
            && next.is_none()
            && decoded.has_more == Some(true)
            && reason != Some("max_pages reached")
        {
            return Err(signals::more_without_next(&shared.plan, &decoded));
        }
        match &next {
            None if paginated && reason.is_none() => {
                history.check_end(&shared.plan, &decoded);
                reason = Some("no next page");
            }
            None => reason = reason.or(Some("no next page")),
            Some(Position::Cursor(key) | Position::Next(key))
                if reason.is_none() && !seen.insert(key.clone()) =>
            {
                signals::repeated(
                    &shared.plan,
                    &state,
                    &decoded,
                    "a cursor or next link seen before",
                )?;
                tracing::warn!(
                    partition = part,
                    "Cursor or next link seen twice; ending pagination"
                );
                reason = Some("loop");
            }
            Some(_) => history.linked(decoded.received),
        }
        signals::count(&mut state, &decoded);
        if let Some(why) = reason {
            signals::reconcile(&shared.plan, &state, &decoded.url, why)?;
        }
        state.done = reason.is_some();
        if let (Some(next), false) = (next, state.done) {
            state.position = next;
        }
        raise_max(&mut state, decoded.max_key);
        let done = state.done;
        let page = PartPage {
            url: decoded.url,
            records: decoded.records,
            bytes: decoded.bytes,
            state: state.clone(),
        };
        if !emit(tx, part, page).await || done {
            return Ok(());
        }
    }
}
