//! The serde visitors of a scan: a map or array passed through on the way
//! to the paths, the records array's items, and keys.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

use super::{At, Found, Node, Scan};
use crate::extract::path::Segment;
/// A map or array passed through on the way to the paths below `node`.
pub(super) struct Descend<'n, 'o, 'a> {
    pub(super) node: &'n Node,
    pub(super) out: &'o mut Scan<'a>,
    pub(super) root: bool,
}

/// A key, borrowed from the body when it holds no escape.
struct Key<'a>(Cow<'a, str>);

impl<'de> de::Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
        }
        d.deserialize_str(KeyVisitor)
    }
}

fn remember_key(keys: &mut Vec<String>, key: &str) {
    if keys.len() < 20 && !keys.iter().any(|k| k == key) {
        keys.push(key.to_owned());
    }
}

impl<'de> Visitor<'de> for Descend<'_, '_, 'de> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
            if self.root {
                remember_key(&mut self.out.keys, &key);
            }
            let child = self.node.children.iter().find_map(|(s, n)| match s {
                Segment::Key(k) if *k == key => Some(n),
                _ => None,
            });
            match child {
                Some(node) => map.next_value_seed(At {
                    node,
                    out: self.out,
                    root: false,
                })?,
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let children = &self.node.children;
        if self.node.counts_from_end() {
            // An index from the end: the items first, then the paths.
            let mut items = Vec::new();
            while let Some(item) = seq.next_element::<&'de RawValue>()? {
                items.push(item);
            }
            let len = items.len();
            for (segment, node) in children {
                if let Some(i) = (0..len).find(|i| segment.selects_item(*i, len)) {
                    rewalk(node, self.out, items[i])?;
                }
            }
            return Ok(());
        }
        // No index from the end here: an item's place is all it takes.
        let selecting = |i: usize| {
            children
                .iter()
                .filter(move |(s, _)| s.selects_item(i, usize::MAX))
        };
        for i in 0.. {
            let mut matching = selecting(i);
            let more = match (matching.next(), matching.next()) {
                (None, _) => seq.next_element::<IgnoredAny>()?.is_some(),
                (Some((_, node)), None) => {
                    let at = At {
                        node,
                        out: self.out,
                        root: false,
                    };
                    seq.next_element_seed(at)?.is_some()
                }
                // Two paths meet at this item (`data.0` and `data[0]`).
                (Some(_), Some(_)) => match seq.next_element::<&'de RawValue>()? {
                    Some(raw) => {
                        for (_, node) in selecting(i) {
                            rewalk(node, self.out, raw)?;
                        }
                        true
                    }
                    None => false,
                },
            };
            if !more {
                break;
            }
        }
        Ok(())
    }
}

/// Walks the text of an item already read, at `node`.
fn rewalk<'a, E: de::Error>(node: &Node, out: &mut Scan<'a>, raw: &'a RawValue) -> Result<(), E> {
    let mut at = At {
        node,
        out,
        root: false,
    };
    at.clear();
    at.walk_text(raw).map_err(E::custom)
}

/// The records array's items, or what the value is instead.
pub(super) struct Items<'k>(pub(super) Option<&'k mut Vec<String>>);

impl<'de> Visitor<'de> for Items<'_> {
    type Value = Found<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<Found<'de>, E> {
        Ok(Found::Kind("a boolean"))
    }
    fn visit_i64<E>(self, _: i64) -> Result<Found<'de>, E> {
        Ok(Found::Kind("a number"))
    }
    fn visit_u64<E>(self, _: u64) -> Result<Found<'de>, E> {
        Ok(Found::Kind("a number"))
    }
    fn visit_f64<E>(self, _: f64) -> Result<Found<'de>, E> {
        Ok(Found::Kind("a number"))
    }
    fn visit_str<E>(self, _: &str) -> Result<Found<'de>, E> {
        Ok(Found::Kind("a string"))
    }
    fn visit_unit<E>(self) -> Result<Found<'de>, E> {
        Ok(Found::Kind("null"))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Found<'de>, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(item) = seq.next_element::<&'de RawValue>()? {
            items.push(item);
        }
        Ok(Found::Items(items))
    }

    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<Found<'de>, A::Error> {
        while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
            if let Some(keys) = self.0.as_deref_mut() {
                remember_key(keys, &key);
            }
            map.next_value::<IgnoredAny>()?;
        }
        Ok(Found::Kind("an object"))
    }
}
