#![cfg_attr(docsrs, feature(doc_cfg))]
//! faucet-sink-postgres: work in progress.
