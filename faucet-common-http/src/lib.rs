#![cfg_attr(docsrs, feature(doc_cfg))]
//! faucet-common-http: work in progress.
