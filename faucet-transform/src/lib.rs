#![cfg_attr(docsrs, feature(doc_cfg))]
//! faucet's built-in transforms, the connectors between a source and a
//! sink that reshape, filter and protect records.
//!
//! | type | what it does |
//! |---|---|
//! | `select` | keeps only the named fields (nested paths `a.b`) |
//! | `drop` | removes the named fields |
//! | `rename` | gives fields new keys, in place |
//!
//! # Records stay bytes
//!
//! Every transform reads records through [`Record::fields`] and
//! [`Record::field`] and writes new ones with
//! [`ObjectWriter`](faucet_core::record::ObjectWriter): values it does not
//! change are copied as their text (a 38-digit decimal keeps every digit),
//! no tree of a record is built, and a record a transform leaves as it is
//! is passed on as it is, text shared with the page it came from.
//!
//! # Expressions are CEL
//!
//! `filter` and `set` take expressions in CEL, the Common Expression
//! Language (`status == "active"`): see the crate README for why CEL and
//! not jq or JMESPath. An expression compiles once, when the transform is
//! built, so a bad one is a config error at its path (`where`) with the
//! line and column inside it; per record, only the fields it names are
//! read and bound.
//!
//! # Example
//!
//! ```
//! use faucet_core::connector::*;
//! use faucet_transform::{FilterTransform, FilterTransformConfig};
//!
//! let filter = FilterTransform::new(FilterTransformConfig {
//!     where_: r#"status == "active""#.to_owned(),
//! })?;
//! let mut out = Vec::new();
//! filter.transform(Record::from_json(r#"{"id": 1, "status": "active"}"#)?, &mut out)?;
//! filter.transform(Record::from_json(r#"{"id": 2, "status": "gone"}"#)?, &mut out)?;
//! assert_eq!(out, [json!({"id": 1, "status": "active"})]);
//! # Ok::<(), FaucetError>(())
//! ```
//!
//! [`Record::fields`]: faucet_core::Record::fields
//! [`Record::field`]: faucet_core::Record::field

mod drop;
mod errors;
mod expr;
mod filter;
mod path;
mod rename;
mod rewrite;
mod select;

pub use drop::{DropTransform, DropTransformConfig};
pub use filter::{FilterTransform, FilterTransformConfig};
pub use rename::{RenameTransform, RenameTransformConfig};
pub use select::{SelectTransform, SelectTransformConfig};

/// Registers every transform of this crate in `registry`, by its `type`.
pub fn register(registry: &mut faucet_core::Registry) {
    registry
        .register_transform("select", "Keeps only the named fields", SelectTransform::new)
        .register_transform("drop", "Removes the named fields", DropTransform::new)
        .register_transform("rename", "Gives fields new keys, in place", RenameTransform::new)
        .register_transform(
            "filter",
            "Keeps records for which a CEL expression is true",
            FilterTransform::new,
        );
}
