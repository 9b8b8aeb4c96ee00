//! Walking JSON text that serde_json has already validated: where a value,
//! a string or an object's next field ([`Span`]) ends, and the text
//! without insignificant whitespace.
//!
//! Every function here assumes valid JSON (a [`Record`](super::Record)'s
//! text is checked when the record is made), so none of them re-checks
//! grammar; on text that is not JSON they stop early rather than panic.

/// The index of the first byte at or after `at` that is not whitespace.
#[inline]
pub(crate) fn skip_ws(text: &[u8], mut at: usize) -> usize {
    while let Some(b' ' | b'\t' | b'\n' | b'\r') = text.get(at) {
        at += 1;
    }
    at
}

/// The index just after the string that opens at `at` (a `"`).
pub(crate) fn string_end(text: &[u8], at: usize) -> usize {
    string_span(text, at).0
}

/// The index just after the string that opens at `at` (a `"`), and
/// whether the string holds an escape (so its text is not its value).
#[inline]
pub(crate) fn string_span(text: &[u8], at: usize) -> (usize, bool) {
    let mut i = at + 1;
    let mut escaped = false;
    while let Some(found) = quote_or_backslash(&text[i.min(text.len())..]) {
        i += found;
        if text[i] == b'\\' {
            escaped = true;
            i += 2;
        } else {
            return (i + 1, escaped);
        }
    }
    (text.len(), escaped)
}

/// The index of the first `"` or `\\` in `bytes`: sixteen bytes at a
/// time where SSE2 is there (every x86_64), else eight at a time (SWAR).
/// Keys and most values are short, and memchr2's vector search on each of
/// them was a sixth of a transform's time.
#[inline]
fn quote_or_backslash(bytes: &[u8]) -> Option<usize> {
    let mut at = 0;
    #[cfg(target_arch = "x86_64")]
    while at + 16 <= bytes.len() {
        let hits = sse2::mask16(&bytes[at..at + 16], [b'"', b'\\']);
        if hits != 0 {
            return Some(at + hits.trailing_zeros() as usize);
        }
        at += 16;
    }
    while at + 8 <= bytes.len() {
        let x = u64::from_le_bytes(bytes[at..at + 8].try_into().expect("eight bytes"));
        let hits = zero_byte(x ^ splat(b'"')) | zero_byte(x ^ splat(b'\\'));
        if hits != 0 {
            return Some(at + (hits.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    bytes[at..]
        .iter()
        .position(|&b| b == b'"' || b == b'\\')
        .map(|i| at + i)
}

/// Sixteen-byte searches with SSE2, which every x86_64 processor has.
#[cfg(target_arch = "x86_64")]
mod sse2 {
    use std::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_or_si128, _mm_set1_epi8,
    };

    /// Bit `i` set where `chunk[i]` is one of `bytes`.
    #[inline(always)]
    pub(super) fn mask16(chunk: &[u8], bytes: [u8; 2]) -> u32 {
        assert_eq!(chunk.len(), 16);
        // SAFETY: SSE2 is part of the x86_64 baseline; the load is
        // unaligned and reads the sixteen bytes of `chunk`.
        unsafe {
            let v = _mm_loadu_si128(chunk.as_ptr().cast::<__m128i>());
            let a = _mm_cmpeq_epi8(v, _mm_set1_epi8(bytes[0] as i8));
            let b = _mm_cmpeq_epi8(v, _mm_set1_epi8(bytes[1] as i8));
            _mm_movemask_epi8(_mm_or_si128(a, b)) as u32
        }
    }
}

/// `b` in every byte of a word.
#[inline]
pub(crate) const fn splat(b: u8) -> u64 {
    0x0101_0101_0101_0101 * b as u64
}

/// The high bit of each zero byte of `x` set; the lowest set bit is exactly
/// the first zero byte (a borrow can only flag bytes above a true zero).
#[inline]
pub(crate) const fn zero_byte(x: u64) -> u64 {
    x.wrapping_sub(splat(1)) & !x & splat(0x80)
}

/// The index just after the value that starts at `at`.
pub(crate) fn value_end(text: &[u8], at: usize) -> usize {
    match text.get(at) {
        Some(b'"') => string_end(text, at),
        Some(b'{' | b'[') => {
            // Byte by byte: nested values are dense with strings and
            // brackets, and a sixteen-byte search for the next of them
            // cost more than it saved.
            let mut depth = 0usize;
            let mut i = at;
            while i < text.len() {
                match text[i] {
                    b'"' => {
                        i = string_end(text, i);
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return i + 1;
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
            text.len()
        }
        _ => {
            let mut i = at;
            while let Some(&b) = text.get(i) {
                if ENDS_SCALAR[b as usize] {
                    break;
                }
                i += 1;
            }
            i
        }
    }
}

/// The bytes that end a number or a literal (`true`, `false`, `null`).
static ENDS_SCALAR: [bool; 256] = {
    let mut table = [false; 256];
    let mut i = 0;
    let ends = b",}] \t\n\r";
    while i < ends.len() {
        table[ends[i] as usize] = true;
        i += 1;
    }
    table
};

/// Whether the text holds a line break, which JSON allows only between
/// tokens (inside strings they are escaped): such text is not one line.
pub(crate) fn has_line_break(text: &[u8]) -> bool {
    memchr::memchr2(b'\n', b'\r', text).is_some()
}

/// Appends `text` to `out` without whitespace outside strings.
pub(crate) fn minify(text: &[u8], out: &mut impl bytes::BufMut) {
    let mut i = 0;
    let mut run = 0;
    while i < text.len() {
        match text[i] {
            b'"' => i = string_end(text, i),
            b' ' | b'\t' | b'\n' | b'\r' => {
                out.put_slice(&text[run..i]);
                i = skip_ws(text, i);
                run = i;
            }
            _ => i += 1,
        }
    }
    out.put_slice(&text[run..]);
}

/// Where one field of an object's text lies, found without reading its
/// key or value: what `Fields`, a lookup by key and the field index
/// share.
#[derive(Debug, Clone, Copy)]
pub(super) struct Span {
    /// The key with its quotes.
    pub(super) key: (usize, usize),
    /// Whether the key holds an escape (so its text is not its value).
    pub(super) key_escaped: bool,
    /// The value's text.
    pub(super) value: (usize, usize),
    /// For a string value, whether it holds an escape.
    pub(super) value_escaped: Option<bool>,
    /// No whitespace before the key (after the comma) or around the colon.
    pub(super) compact: bool,
}

/// The next field of an object's text from `at` (just inside the brace or
/// after the last field), moving `at` past it; `None` at the closing brace.
#[inline]
pub(super) fn next_span(text: &[u8], at: &mut usize) -> Option<Span> {
    let from = *at;
    let mut i = skip_ws(text, from);
    let mut key_at = from;
    if text.get(i) == Some(&b',') {
        key_at = i + 1;
        i = skip_ws(text, i + 1);
    }
    if text.get(i) != Some(&b'"') {
        // The closing brace (or the end of the text).
        *at = text.len();
        return None;
    }
    let (key_end, key_escaped) = string_span(text, i);
    let colon = skip_ws(text, key_end);
    let start = skip_ws(text, colon + 1);
    let (end, value_escaped) = if text.get(start) == Some(&b'"') {
        let (end, escaped) = string_span(text, start);
        (end, Some(escaped))
    } else {
        (value_end(text, start), None)
    };
    *at = end;
    Some(Span {
        key: (i, key_end),
        key_escaped,
        value: (start, end),
        value_escaped,
        compact: i == key_at && (key_at == from || key_at == from + 1) && start == key_end + 1,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The eight-at-a-time search agrees with a byte loop for a quote or
    /// a backslash (and near misses) at every position of every length.
    #[test]
    fn quote_or_backslash_agrees_with_a_byte_loop() {
        let naive = |b: &[u8]| b.iter().position(|&c| c == b'"' || c == b'\\');
        for len in 0..90 {
            for at in 0..len {
                for byte in [b'"', b'\\', b'!', b'#', 0x22 ^ 0x80, 0x5c ^ 0x80, 0, 0xff] {
                    let mut text = vec![b'a'; len];
                    text[at] = byte;
                    if at + 1 < len {
                        text[at + 1] = b'"';
                    }
                    assert_eq!(
                        quote_or_backslash(&text),
                        naive(&text),
                        "{byte:#x} at {at} of {len}"
                    );
                }
            }
        }
    }

    #[test]
    fn values_end_where_json_says() {
        let text = br#"{"a": "x\"}", "b": [1, {"c": "]"}], "d": -1.5e3}"#;
        assert_eq!(value_end(text, 0), text.len());
        assert_eq!(value_end(br#""a\\" ,"#, 0), 5);
        assert_eq!(value_end(b"-1.5e3,", 0), 6);
        assert_eq!(value_end(b"true}", 0), 4);
        assert_eq!(value_end(b"[[], [[]]] ", 0), 10);
    }

    #[test]
    fn minify_keeps_strings_whole() {
        let mut out = Vec::new();
        minify(
            b"{\n  \"a b\": [ 1,\t2 ],\r\n  \"c\": \" \\\" x \"\n}",
            &mut out,
        );
        assert_eq!(out, br#"{"a b":[1,2],"c":" \" x "}"#);
        assert!(has_line_break(b"{\n}"));
        assert!(!has_line_break(br#"{"a":"\n"}"#));
    }
}
