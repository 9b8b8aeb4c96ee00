//! Several streams from one API (`resources:`): the validated resources,
//! the state of each stream, and the run that reads them.
//!
//! A run reads the root resources in config order and, after each page of
//! a resource, its children for every record of that page (each child
//! resource in config order, parents in page order), depth first. Up to
//! `parent_concurrency` parents' children (and their own children) are
//! read at once on tasks of their own, but their pages are delivered in
//! exactly the order a one-at-a-time reading would give, so every page's
//! checkpoint — the whole map of stream states, see [`state`] — says
//! precisely what is done. No request holds one of the shared client's
//! slots while its page waits to be delivered (page-number and offset
//! prefetches run on tasks of their own; a cursor or link page is fully
//! fetched before it is handed on), so parents waiting for their turn
//! never starve the parent being delivered. A resume
//! whose stream selection would skip or repeat records is refused (see
//! [`selection`]).

mod build;
mod parents;
mod run;
mod sample;
mod selection;
mod state;
mod walk;

use std::sync::Arc;

use crate::pagination::Shared;
use crate::plan::ChildRequests;

pub(crate) use run::stream_pages;
pub(crate) use sample::{check, discover};

/// Every resource, validated.
#[derive(Debug)]
pub(crate) struct Resources {
    /// In config order; every one shares the source's one client (rate
    /// limit, retry budget, concurrency).
    pub(crate) list: Vec<Resource>,
}

/// One resource, validated.
#[derive(Debug)]
pub(crate) struct Resource {
    /// The stream name.
    pub(crate) name: Arc<str>,
    /// Its plan and the shared client.
    pub(crate) shared: Arc<Shared>,
    /// Its parent resource, for a child.
    pub(crate) parent: Option<usize>,
    /// Its child resources, in config order.
    pub(crate) children: Vec<usize>,
    /// How it is read for each parent record, for a child.
    pub(crate) link: Option<ParentLink>,
    /// Its primary key, for `discover`.
    pub(crate) primary_key: Vec<String>,
}

impl Resource {
    /// Whether the resource reads by replication key.
    pub(crate) fn incremental(&self) -> bool {
        self.shared.plan.incremental.is_some()
    }
}

/// How a child resource is read for each record of its parent.
#[derive(Debug)]
pub(crate) struct ParentLink {
    /// The requests, filled from a parent's values.
    pub(crate) requests: ChildRequests,
    /// Fields every parent record must have (the placeholders').
    pub(crate) required: Vec<String>,
    /// Parent field → field of the child record, the placeholders' first.
    pub(crate) copies: Vec<(String, String)>,
    /// Parents whose children are read at once.
    pub(crate) concurrency: usize,
    /// The config path of the path template, for messages
    /// (`resources[1].path`).
    pub(crate) config_path: String,
}

impl Resources {
    /// The names of every resource, in config order.
    pub(crate) fn list_names(&self) -> Vec<String> {
        self.list.iter().map(|r| r.name.to_string()).collect()
    }

    /// The names of every resource, for messages.
    pub(crate) fn names(&self) -> String {
        self.list
            .iter()
            .map(|r| &*r.name)
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The resources read first (no parent), in config order.
    pub(crate) fn roots(&self) -> impl Iterator<Item = usize> + '_ {
        (0..self.list.len()).filter(|&i| self.list[i].parent.is_none())
    }

    /// `i`'s ancestors, nearest first.
    pub(crate) fn ancestors(&self, i: usize) -> impl Iterator<Item = usize> + '_ {
        std::iter::successors(self.list[i].parent, |&p| self.list[p].parent)
    }

    /// Whether any resource reads by replication key.
    pub(crate) fn incremental(&self) -> bool {
        self.list.iter().any(Resource::incremental)
    }

    /// The resources read in full on every run: neither they nor any of
    /// their ancestors read by replication key (a child of an incremental
    /// parent is read only for the parent's new records).
    pub(crate) fn full_refresh(&self) -> Vec<String> {
        (0..self.list.len())
            .filter(|&i| {
                !self.list[i].incremental()
                    && !self.ancestors(i).any(|a| self.list[a].incremental())
            })
            .map(|i| self.list[i].name.to_string())
            .collect()
    }
}
