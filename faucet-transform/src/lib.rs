#![cfg_attr(docsrs, feature(doc_cfg))]
//! faucet's built-in transforms, the connectors between a source and a
//! sink that reshape, filter and protect records.
//!
//! | type | what it does |
//! |---|---|
//! | `select` | keeps only the named fields (nested paths `a.b`) |
//! | `drop` | removes the named fields |
//! | `rename` | gives fields new keys, in place |
//! | `set` | sets a field to a constant or a CEL expression's result |
//! | `cast` | converts fields to integer, number, string, boolean, timestamp |
//! | `flatten` | nested objects to top-level `a__b` fields, to a depth limit |
//! | `explode` | one record per element of an array field |
//! | `filter` | keeps records for which a CEL expression is true |
//! | `hash` | HMAC-SHA-256 of fields under a secret salt, in hex |
//! | `redact` | replaces fields with a mask |
//! | `dedupe` | drops records whose key was seen in the run, bounded |
//! | `metadata` | adds the run's start time and constant fields |
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
//! # Output schemas
//!
//! Every transform implements
//! [`Transform::output_schema`](faucet_core::connector::Transform::output_schema):
//! given the input stream's JSON Schema, the schema of its outputs, so
//! `discover` and `check` stay truthful after transforms. Output schemas
//! err on the loose side and invent nothing: what the input leaves
//! unknown stays unknown. The crate README has the table.
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

mod cast;
mod dedupe;
mod drop;
mod errors;
mod explode;
mod expr;
mod filter;
mod flatten;
mod hash;
mod metadata;
mod path;
mod redact;
mod rename;
mod rewrite;
mod schema;
mod select;
mod set;

pub use cast::{CastTo, CastTransform, CastTransformConfig};
pub use dedupe::{DedupeTransform, DedupeTransformConfig};
pub use drop::{DropTransform, DropTransformConfig};
pub use explode::{ExplodeTransform, ExplodeTransformConfig};
pub use filter::{FilterTransform, FilterTransformConfig};
pub use flatten::{FlattenTransform, FlattenTransformConfig};
pub use hash::{HashTransform, HashTransformConfig};
pub use metadata::{MetadataTransform, MetadataTransformConfig};
pub use redact::{RedactTransform, RedactTransformConfig};
pub use rename::{RenameTransform, RenameTransformConfig};
pub use select::{SelectTransform, SelectTransformConfig};
pub use set::{SetTransform, SetTransformConfig};

/// Registers every transform of this crate in `registry`, by its `type`.
pub fn register(registry: &mut faucet_core::Registry) {
    registry
        .register_transform(
            "select",
            "Keeps only the named fields",
            SelectTransform::new,
        )
        .register_transform("drop", "Removes the named fields", DropTransform::new)
        .register_transform(
            "rename",
            "Gives fields new keys, in place",
            RenameTransform::new,
        )
        .register_transform(
            "set",
            "Sets a field to a constant or a CEL expression's result",
            SetTransform::new,
        )
        .register_transform(
            "cast",
            "Converts fields to integer, number, string, boolean or timestamp",
            CastTransform::new,
        )
        .register_transform(
            "flatten",
            "Turns nested objects into top-level fields (a__b)",
            FlattenTransform::new,
        )
        .register_transform(
            "explode",
            "Gives one record per element of an array field",
            ExplodeTransform::new,
        )
        .register_transform(
            "filter",
            "Keeps records for which a CEL expression is true",
            FilterTransform::new,
        )
        .register_transform(
            "hash",
            "Replaces fields with their HMAC-SHA-256 under a secret salt",
            HashTransform::new,
        )
        .register_transform(
            "redact",
            "Replaces fields with a mask",
            RedactTransform::new,
        )
        .register_transform(
            "dedupe",
            "Drops records whose key was seen before in the run (bounded)",
            DedupeTransform::new,
        )
        .register_transform(
            "metadata",
            "Adds the run's start time and constant fields",
            MetadataTransform::new,
        );
}
