//! `hash`: replaces the values of the named fields with their HMAC-SHA-256
//! under a secret salt, as 64 hex digits: the same value gives the same
//! digest in every run (joins keep working), and without the salt a
//! digest cannot be checked against guessed values.

use faucet_core::connector::*;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use crate::path::{PathTree, config_error, parse_paths};
use crate::rewrite::{Edited, rewrite};
use crate::schema::{edit_paths, hash_schema, keep_root, replace};

/// The shortest salt accepted, in bytes.
const MIN_SALT: usize = 16;

/// Config of [`HashTransform`]. Its `Debug` never shows the salt.
#[derive(Clone, Serialize, Deserialize, JsonSchema)]
#[serde(crate = "faucet_core::serde", deny_unknown_fields)]
#[schemars(crate = "faucet_core::schemars")]
pub struct HashTransformConfig {
    /// The fields to hash, as paths. A string is hashed as its UTF-8 text,
    /// a number as its text, a boolean as `true`/`false`, an object or
    /// array as its JSON text as received (on one line, so whitespace
    /// counts); `null` stays `null`. Fields a record
    /// lacks are ignored.
    pub fields: Vec<String>,
    /// The secret key of the HMAC, at least 16 bytes; give it from the
    /// environment (`salt: ${PII_SALT}`). Never logged or shown in errors.
    pub salt: String,
}

impl std::fmt::Debug for HashTransformConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HashTransformConfig")
            .field("fields", &self.fields)
            .field("salt", &"<redacted>")
            .finish()
    }
}

/// Hashes the configured fields of each record.
pub struct HashTransform {
    tree: PathTree<()>,
    mac: Hmac<Sha256>,
}

impl std::fmt::Debug for HashTransform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HashTransform")
            .field("tree", &self.tree)
            .finish_non_exhaustive()
    }
}

impl HashTransform {
    /// Builds the transform; a bad path is an error at `fields[i]`, a salt
    /// shorter than 16 bytes one at `salt` (which never quotes it).
    pub fn new(config: HashTransformConfig) -> Result<Self> {
        let mut tree = PathTree::default();
        for path in parse_paths(&config.fields, "fields")? {
            tree.insert(&path, ());
        }
        if config.salt.len() < MIN_SALT {
            return Err(config_error(
                "salt",
                format!(
                    "the salt is {} bytes; give a random secret of at least {MIN_SALT}",
                    config.salt.len()
                ),
            ));
        }
        let mac = Hmac::<Sha256>::new_from_slice(config.salt.as_bytes())
            .map_err(|_| config_error("salt", "the salt cannot key an HMAC"))?;
        Ok(Self { tree, mac })
    }

    fn digest(&self, bytes: &[u8]) -> String {
        let mut mac = self.mac.clone();
        mac.update(bytes);
        let digest = mac.finalize().into_bytes();
        let mut hex = String::with_capacity(64);
        for byte in digest.iter() {
            hex.push(char::from(b"0123456789abcdef"[usize::from(byte >> 4)]));
            hex.push(char::from(b"0123456789abcdef"[usize::from(byte & 15)]));
        }
        hex
    }
}

impl Transform for HashTransform {
    fn transform(&self, record: Record, out: &mut Vec<Record>) -> Result<()> {
        let changed = rewrite(&record, &self.tree, false, &mut |_, key, value, out| {
            let digest = match value {
                None | Some(ValueRef::Null) => return Ok(Edited::Unchanged),
                Some(ValueRef::String(s)) => self.digest(s.as_bytes()),
                Some(ValueRef::Number(n)) => self.digest(n.as_str().as_bytes()),
                Some(other) => {
                    let mut text = Vec::new();
                    other.write_json(&mut text);
                    self.digest(&text)
                }
            };
            out.value(key, &Value::String(digest));
            Ok(Edited::Written)
        })?;
        out.push(changed.unwrap_or(record));
        Ok(())
    }

    fn config_schema(&self) -> Option<faucet_core::schemars::Schema> {
        Some(faucet_core::schemars::schema_for!(HashTransformConfig))
    }

    /// The hashed fields become strings of 64 hex digits (`null` where the
    /// input allows `null`).
    fn output_schema(&self, input: &Value) -> Value {
        let output = edit_paths(input, &self.tree, false, &mut |m, actions| {
            for (key, _) in actions {
                replace(m, key, hash_schema);
            }
        });
        keep_root(input, output)
    }

    fn name(&self) -> &str {
        "hash"
    }
}
