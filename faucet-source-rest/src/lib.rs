#![cfg_attr(docsrs, feature(doc_cfg))]
//! faucet-source-rest: work in progress.
