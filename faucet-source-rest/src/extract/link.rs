//! The `rel="next"` target of an RFC 8288 `Link` header.
//!
//! Kept hand-written: `parse_link_header` parses every link of the header
//! into a map with a regex for what is one scan here, and offers nothing
//! this needs beyond it (rel lists, quoted commas and case are handled
//! here and tested).

/// The `rel="next"` target of an RFC 8288 `Link` header, among any rels.
pub(crate) fn link_next(header: &str) -> Option<String> {
    let mut rest = header;
    while let Some(open) = rest.find('<') {
        let close = open + rest[open..].find('>')?;
        let target = &rest[open + 1..close];
        let params_end = rest[close..].find('<').map_or(rest.len(), |i| close + i);
        let params = &rest[close + 1..params_end];
        let is_next = params.split(';').any(|p| {
            let p = p.trim().trim_end_matches(',').trim_end();
            p.strip_prefix("rel=").is_some_and(|rels| {
                rels.trim_matches('"')
                    .split_ascii_whitespace()
                    .any(|r| r.eq_ignore_ascii_case("next"))
            })
        });
        if is_next {
            return Some(target.to_owned());
        }
        rest = &rest[params_end..];
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_header_next_is_found_among_rels() {
        let h = r#"<https://a/x?page=1>; rel="first", <https://a/x?page=3>; rel="next", <https://a/x?page=9>; rel="last""#;
        assert_eq!(link_next(h).as_deref(), Some("https://a/x?page=3"));
        assert_eq!(link_next(r#"<https://a/x?page=1>; rel="prev first""#), None);
        assert_eq!(
            link_next(r#"<u2>; title="a,b"; rel="prev next""#).as_deref(),
            Some("u2")
        );
    }
}
