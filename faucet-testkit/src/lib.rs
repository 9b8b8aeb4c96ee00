#![cfg_attr(docsrs, feature(doc_cfg))]
//! faucet-testkit: work in progress.
