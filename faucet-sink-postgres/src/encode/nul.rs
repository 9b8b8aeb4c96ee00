//! The NUL rule. PostgreSQL `text` cannot hold a NUL character and
//! `jsonb` cannot hold the escape `\u0000`; `nul: strip` removes them,
//! `nul: error` refuses the value. This is the one place that knows how.

use bytes::{BufMut, BytesMut};

use crate::config::NulRule;

/// Why a value was refused under `nul: error` (the caller names the
/// column and record).
pub(crate) fn refused(what: &str) -> String {
    format!(
        "contains a NUL character, which PostgreSQL {what} cannot hold \
         (set `nul: strip` to remove them)"
    )
}

/// Whether `reason` is a NUL refusal (never set aside as a dead letter:
/// the setting asked for an error).
pub(crate) fn is_refusal(reason: &str) -> bool {
    reason.contains("NUL character")
}

/// Writes `s` as a `text` field (length, bytes), applying the NUL rule.
pub(crate) fn write_text(s: &str, nul: NulRule, buf: &mut BytesMut) -> Result<(), String> {
    if memchr::memchr(0, s.as_bytes()).is_none() {
        buf.put_i32(s.len() as i32);
        buf.put_slice(s.as_bytes());
        return Ok(());
    }
    match nul {
        NulRule::Error => Err(refused("text")),
        NulRule::Strip => {
            let at = buf.len();
            buf.put_i32(0);
            for part in s.split('\0') {
                buf.put_slice(part.as_bytes());
            }
            let len = (buf.len() - at - 4) as i32;
            buf[at..at + 4].copy_from_slice(&len.to_be_bytes());
            Ok(())
        }
    }
}

/// Applies the NUL rule to JSON text that was just appended to `buf` at
/// `body..`: with `nul: strip` the text loses its `\u0000` escapes (in
/// keys and values alike), in place.
pub(crate) fn check_json(buf: &mut BytesMut, body: usize, nul: NulRule) -> Result<(), String> {
    if !has_nul_escape(&buf[body..]) {
        return Ok(());
    }
    match nul {
        NulRule::Error => Err(refused("jsonb")),
        NulRule::Strip => {
            let len = strip_nul(&mut buf[body..]);
            buf.truncate(body + len);
            Ok(())
        }
    }
}

/// Whether JSON text holds an escaped NUL: `\u0000` whose backslash is
/// not itself escaped (`\\u0000` is a backslash and the text `u0000`).
pub(crate) fn has_nul_escape(json: &[u8]) -> bool {
    let mut i = 0;
    while let Some(found) = memchr::memchr(b'\\', &json[i..]) {
        i += found;
        if json[i + 1..].starts_with(b"u0000") {
            return true;
        }
        i += 2;
        if i >= json.len() {
            break;
        }
    }
    false
}

/// Removes every escaped NUL (`\u0000`, see [`has_nul_escape`]) from JSON
/// text in place; returns the text's new length. Other escapes are kept
/// as written. The result is valid JSON when the input is.
pub(crate) fn strip_nul(json: &mut [u8]) -> usize {
    let (mut read, mut write) = (0, 0);
    while read < json.len() {
        let next = memchr::memchr(b'\\', &json[read..]).map_or(json.len(), |i| read + i);
        json.copy_within(read..next, write);
        write += next - read;
        read = next;
        if read >= json.len() {
            break;
        }
        if json[read + 1..].starts_with(b"u0000") {
            read += 6;
        } else {
            // Keep the escape whole: `\\`, `\"`, `\n`, `\u00e9`...
            let end = (read + 2).min(json.len());
            json.copy_within(read..end, write);
            write += end - read;
            read = end;
        }
    }
    write
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stripped(text: &str) -> String {
        let mut bytes = text.as_bytes().to_vec();
        let len = strip_nul(&mut bytes);
        bytes.truncate(len);
        String::from_utf8(bytes).unwrap()
    }

    #[test]
    fn strips_escaped_nuls_only() {
        assert_eq!(stripped(r#"{"a\u0000":"x\u0000y"}"#), r#"{"a":"xy"}"#);
        assert_eq!(stripped(r#""\\u0000""#), r#""\\u0000""#);
        assert_eq!(stripped(r#""\\\u0000""#), r#""\\""#);
        assert_eq!(stripped(r#""\u0000\u0000\"\u00e9""#), r#""\"\u00e9""#);
        assert_eq!(stripped(r#"[1,"\n"]"#), r#"[1,"\n"]"#);
        // Cut text (never produced by a record) does not panic.
        assert_eq!(stripped("\\"), "\\");
    }

    #[test]
    fn finds_escaped_nuls_only() {
        assert!(has_nul_escape(br#"{"k":"\u0000"}"#));
        assert!(has_nul_escape(br#""\\\u0000""#));
        assert!(!has_nul_escape(br#""\\u0000""#));
        assert!(!has_nul_escape(b"\"\\u00"));
        assert!(!has_nul_escape(b"\\"));
    }

    #[test]
    fn text_nuls_follow_the_rule() {
        let mut buf = BytesMut::new();
        write_text("a\0b", NulRule::Strip, &mut buf).unwrap();
        assert_eq!(&buf[..], [0, 0, 0, 2, b'a', b'b']);
        let err = write_text("a\0b", NulRule::Error, &mut buf).unwrap_err();
        assert!(is_refusal(&err) && err.contains("nul: strip"), "{err}");
    }
}
