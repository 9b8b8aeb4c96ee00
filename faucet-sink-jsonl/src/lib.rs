#![cfg_attr(docsrs, feature(doc_cfg))]
//! faucet-sink-jsonl: work in progress.
