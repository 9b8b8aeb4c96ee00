//! Whether a run may go on from the stored states with the streams it is
//! given: a resume with another selection than the run that stored the
//! states is refused wherever going on would skip records or read some
//! twice, naming the stream and what to do.
//!
//! Each entry records whether its stream was **written** (selected) or
//! only read for its children: `"written": false` in the entry, absent
//! when written (so entries stored before the flag existed count as
//! written). The rules:
//!
//! - An **unfinished pass** goes on only with the streams it was reading,
//!   each written as before: a stream written before and not now would
//!   leave the rest of its records unwritten, one read only for its
//!   children and written now would miss the records of its pages read
//!   before. A child without an entry whose parent has read pages, or an
//!   unfinished child no longer read while its parent goes on, would leave
//!   records unread.
//! - A **new pass** (the last one finished) may change the selection,
//!   except that a stream not written by the last pass cannot be selected
//!   while it or one of its ancestors starts after a stored replication
//!   key: the records before that key were never written, and the new pass
//!   would not read them.

use faucet_core::{FaucetError, Result};

use super::Resources;

/// What the stored states say about each resource, for these checks
/// (facts, not the states themselves, so this module does not depend on
/// how a state is written).
pub(crate) struct Stored<'a> {
    /// Whether each resource has a stored entry.
    pub(crate) present: &'a [bool],
    /// Whether each stored entry makes a new pass start after a
    /// replication key (`false` without an entry).
    pub(crate) keyed: &'a [bool],
    /// Whether each stored stream was written (`true` without an entry).
    pub(crate) written: &'a [bool],
    /// Whether each stored stream is done (`true` without an entry).
    pub(crate) done: &'a [bool],
}

/// What this run reads and writes.
pub(crate) struct Now<'a> {
    /// Resources read: the selected ones and their ancestors.
    pub(crate) needed: &'a [bool],
    /// Resources written: the selected ones.
    pub(crate) selected: &'a [bool],
}

fn refuse(message: String) -> FaucetError {
    FaucetError::config("streams", message)
}

/// The checks of an unfinished pass.
pub(crate) fn check_unfinished(
    resources: &Resources,
    stored: &Stored<'_>,
    now: &Now<'_>,
) -> Result<()> {
    for (i, r) in resources.list.iter().enumerate() {
        let dropped = stored.written[i] && !now.selected[i] && !stored.done[i];
        let added = !stored.written[i] && now.selected[i];
        if stored.present[i] && now.needed[i] && (dropped || added) {
            let what = if dropped {
                "was written by the interrupted run but is not selected now, so the rest of its records would not be written"
            } else {
                "was read by the interrupted run only for the streams below it, without writing its records, and is selected now, so the records of its pages read before would never be written"
            };
            return Err(refuse(format!(
                "stream `{}` {what}: run with the streams of the interrupted run to finish it, or with --restart to read every stream from the beginning",
                r.name
            )));
        }
        let Some(parent) = r.parent else { continue };
        let missing = now.needed[i] && !stored.present[i] && stored.present[parent];
        let left = !now.needed[i] && now.needed[parent] && stored.present[i] && !stored.done[i];
        if missing || left {
            let what = if missing {
                "was not read by the interrupted run"
            } else {
                "is not selected, but the interrupted run was reading it"
            };
            return Err(refuse(format!(
                "stream `{}` {what}, and reading its parent `{}` on without it would leave records of `{}` unread: run with the streams of the interrupted run to finish it, or with --restart",
                r.name, resources.list[parent].name, r.name
            )));
        }
    }
    Ok(())
}

/// The checks of a new pass.
pub(crate) fn check_new_pass(
    resources: &Resources,
    stored: &Stored<'_>,
    now: &Now<'_>,
) -> Result<()> {
    for (i, r) in resources.list.iter().enumerate() {
        if !now.selected[i] || !stored.present[i] || stored.written[i] {
            continue;
        }
        let keyed = std::iter::once(i)
            .chain(resources.ancestors(i))
            .find(|&k| stored.keyed[k]);
        if let Some(k) = keyed {
            let whose = if k == i {
                "its own".to_owned()
            } else {
                format!("`{}`'s", resources.list[k].name)
            };
            return Err(refuse(format!(
                "stream `{}` was read but not written by the last run (it was not selected), and this run starts after {whose} stored replication key, so its records before that key would never be written: select the streams of the last run, or run with --restart to read every stream from the beginning",
                r.name
            )));
        }
    }
    Ok(())
}
