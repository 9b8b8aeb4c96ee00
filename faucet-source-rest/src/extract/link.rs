//! The `rel="next"` target of an RFC 8288 `Link` header.
//!
//! Kept hand-written: `parse_link_header` parses every link of the header
//! into a map with a regex for what is one scan here, and offers nothing
//! this needs beyond it. The scan reads link-values in order; parameter
//! names are matched without regard to case and with spaces around `=`,
//! quoted parameter values may hold `,`, `;` and `<`, and a relation list
//! (`rel="prev next"`) counts each of its relations.

/// The `rel="next"` target of an RFC 8288 `Link` header, among any rels.
/// A response with several `Link` lines is one header joined with `,`
/// ([`join_lines`]).
pub(crate) fn link_next(header: &str) -> Option<String> {
    let mut rest = header;
    loop {
        let open = rest.find('<')?;
        let close = open + rest[open..].find('>')?;
        let target = &rest[open + 1..close];
        let (params, after) = split_params(&rest[close + 1..]);
        if params.iter().any(|p| is_next(p)) {
            return Some(target.to_owned());
        }
        rest = after;
    }
}

/// Every `Link` line of a response as one header value, in order.
pub(crate) fn join_lines<'a>(lines: impl Iterator<Item = &'a str>) -> Option<String> {
    let joined: Vec<&str> = lines.collect();
    (!joined.is_empty()).then(|| joined.join(", "))
}

/// The parameters of one link-value (up to a `,` outside quotes), and the
/// text after it.
fn split_params(text: &str) -> (Vec<&str>, &str) {
    let mut params = Vec::new();
    let mut start = 0;
    let mut quoted = false;
    let mut escaped = false;
    for (i, c) in text.char_indices() {
        if quoted {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => quoted = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => quoted = true,
            ';' => {
                params.push(&text[start..i]);
                start = i + 1;
            }
            ',' => {
                params.push(&text[start..i]);
                return (params, &text[i + 1..]);
            }
            _ => {}
        }
    }
    params.push(&text[start..]);
    (params, "")
}

/// Whether one parameter is a `rel` naming `next`.
fn is_next(param: &str) -> bool {
    let Some((name, value)) = param.split_once('=') else {
        return false;
    };
    name.trim().eq_ignore_ascii_case("rel")
        && value
            .trim()
            .trim_matches('"')
            .split_ascii_whitespace()
            .any(|r| r.eq_ignore_ascii_case("next"))
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

    #[test]
    fn names_are_caseless_spaces_allowed_and_quotes_hold_separators() {
        assert_eq!(link_next(r#"<u1>; REL=next"#).as_deref(), Some("u1"));
        assert_eq!(link_next(r#"<u1>; rel = "Next""#).as_deref(), Some("u1"));
        assert_eq!(
            link_next(r#"<u0>; title="a<b>, c; rel=next"; rel=prev, <u2>; rel="next""#).as_deref(),
            Some("u2"),
            "a quoted title is not a link or a rel"
        );
        assert_eq!(link_next(r#"<u0>; title="x\"; rel=next""#), None);
        assert_eq!(link_next(r#"<u0>; relation=next"#), None);
        assert_eq!(link_next(""), None);
    }

    #[test]
    fn several_link_lines_are_one_header() {
        let lines = [r#"<u1>; rel="first""#, r#"<u3>; rel="next""#];
        let joined = join_lines(lines.into_iter()).unwrap();
        assert_eq!(link_next(&joined).as_deref(), Some("u3"));
        assert_eq!(join_lines(std::iter::empty()), None);
    }
}
