//! libpq's TLS parameters (`sslmode`, `sslrootcert`), read from a URL's
//! query or a `key=value` connection string and taken out of it, because
//! the driver knows only `disable`, `prefer` and `require`. No I/O here.

use std::path::PathBuf;

/// How a connection uses TLS, as libpq's `sslmode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SslMode {
    /// No TLS.
    Disable,
    /// TLS if the server offers it, not verified.
    Prefer,
    /// TLS, not verified (unless `sslrootcert` is given: then as `VerifyCa`).
    Require,
    /// TLS; the chain verified against the root certificates.
    VerifyCa,
    /// TLS; chain and host name verified.
    VerifyFull,
}

/// The TLS parameters of a connection string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Tls {
    pub(crate) mode: SslMode,
    /// Root certificates (PEM) to verify against; default: the Mozilla
    /// roots.
    pub(crate) root_cert: Option<PathBuf>,
}

impl Tls {
    /// What libpq verifies: `require` with a root certificate file acts
    /// as `verify-ca`.
    pub(crate) fn effective_mode(&self) -> SslMode {
        match (self.mode, &self.root_cert) {
            (SslMode::Require, Some(_)) => SslMode::VerifyCa,
            (mode, _) => mode,
        }
    }
}

fn parse_mode(value: &str) -> Result<SslMode, String> {
    Ok(match value {
        "disable" => SslMode::Disable,
        "allow" | "prefer" => SslMode::Prefer,
        "require" => SslMode::Require,
        "verify-ca" => SslMode::VerifyCa,
        "verify-full" => SslMode::VerifyFull,
        other => {
            return Err(format!(
                "sslmode `{other}` is not one of disable, prefer, require, verify-ca, verify-full"
            ));
        }
    })
}

/// The mode the driver is given: it encrypts, the sink's verifier checks.
fn driver_mode(mode: SslMode) -> &'static str {
    match mode {
        SslMode::Disable => "disable",
        SslMode::Prefer => "prefer",
        _ => "require",
    }
}

/// Splits the TLS parameters off `conn` (URL or `key=value` form): the
/// string for the driver and what the sink verifies.
pub(crate) fn split(conn: &str) -> Result<(String, Tls), String> {
    let mut tls = Tls {
        mode: SslMode::Prefer,
        root_cert: None,
    };
    let trimmed = conn.trim_start();
    if trimmed.starts_with("postgres://") || trimmed.starts_with("postgresql://") {
        // The query is taken apart by hand, not with a form decoder: the
        // driver percent-decodes values but reads `+` literally, so the
        // pairs kept are passed on byte for byte.
        url::Url::parse(trimmed).map_err(|e| e.to_string())?;
        let (base, query) = trimmed.split_once('?').unwrap_or((trimmed, ""));
        let mut kept = Vec::new();
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let value = percent_encoding::percent_decode_str(value).decode_utf8_lossy();
            match key {
                "sslmode" => tls.mode = parse_mode(&value)?,
                "sslrootcert" => tls.root_cert = Some(PathBuf::from(value.as_ref())),
                _ => kept.push(pair.to_owned()),
            }
        }
        kept.push(format!("sslmode={}", driver_mode(tls.mode)));
        return Ok((format!("{base}?{}", kept.join("&")), tls));
    }
    let mut kept = Vec::new();
    for (key, raw, value) in pairs(conn)? {
        match key.as_str() {
            "sslmode" => tls.mode = parse_mode(&value)?,
            "sslrootcert" => tls.root_cert = Some(PathBuf::from(value)),
            _ => kept.push(raw),
        }
    }
    kept.push(format!("sslmode={}", driver_mode(tls.mode)));
    Ok((kept.join(" "), tls))
}

/// `key=value` pairs of a libpq connection string: key, the pair's text
/// as written, and the unquoted value.
fn pairs(conn: &str) -> Result<Vec<(String, String, String)>, String> {
    let mut out = Vec::new();
    let mut chars = conn.char_indices().peekable();
    loop {
        while chars.next_if(|(_, c)| c.is_whitespace()).is_some() {}
        let Some(&(start, _)) = chars.peek() else {
            return Ok(out);
        };
        let mut key = String::new();
        while let Some((_, c)) = chars.next_if(|(_, c)| *c != '=' && !c.is_whitespace()) {
            key.push(c);
        }
        while chars.next_if(|(_, c)| c.is_whitespace()).is_some() {}
        if chars.next().is_none_or(|(_, c)| c != '=') {
            return Err(format!("`{key}` has no `=value`"));
        }
        while chars.next_if(|(_, c)| c.is_whitespace()).is_some() {}
        let mut value = String::new();
        let mut end = conn.len();
        if chars.next_if(|(_, c)| *c == '\'').is_some() {
            let mut closed = false;
            while let Some((i, c)) = chars.next() {
                match c {
                    '\\' => value.extend(chars.next().map(|(_, c)| c)),
                    '\'' => {
                        end = i + 1;
                        closed = true;
                        break;
                    }
                    c => value.push(c),
                }
            }
            if !closed {
                return Err(format!("the value of `{key}` has no closing quote"));
            }
        } else {
            while let Some((i, c)) = chars.next() {
                if c.is_whitespace() {
                    end = i;
                    break;
                }
                if c == '\\' {
                    value.extend(chars.next().map(|(_, c)| c));
                } else {
                    value.push(c);
                }
            }
        }
        out.push((key, conn[start..end].to_owned(), value));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_parameters_are_taken_out_and_verify_modes_encrypt() {
        let (url, tls) = split(
            "postgresql://u:p@db:5432/w?sslmode=verify-full&sslrootcert=/ca.pem&application_name=x",
        )
        .unwrap();
        assert_eq!(
            url,
            "postgresql://u:p@db:5432/w?application_name=x&sslmode=require"
        );
        assert_eq!(tls.mode, SslMode::VerifyFull);
        assert_eq!(tls.root_cert, Some(PathBuf::from("/ca.pem")));
        let (_, tls) = split("postgres://db/w?sslmode=require&sslrootcert=ca.pem").unwrap();
        assert_eq!(tls.effective_mode(), SslMode::VerifyCa);
        let (url, tls) = split("postgres://db/w").unwrap();
        assert_eq!(
            (url.as_str(), tls.mode),
            ("postgres://db/w?sslmode=prefer", SslMode::Prefer)
        );
        assert!(split("postgres://db/w?sslmode=sometimes").is_err());
        // Other parameters pass byte for byte: `%20` stays encoded for the
        // driver to decode, and nothing becomes a `+`.
        let options = "options=-c%20search_path%3Draw";
        let (url, _) = split(&format!("postgres://db/w?{options}&sslmode=disable")).unwrap();
        assert_eq!(url, format!("postgres://db/w?{options}&sslmode=disable"));
    }

    #[test]
    fn key_value_strings_keep_quoted_values() {
        let (conn, tls) =
            split("host=db password='a b\\'c' sslmode=verify-ca sslrootcert = '/x y.pem' dbname=w")
                .unwrap();
        assert_eq!(conn, "host=db password='a b\\'c' dbname=w sslmode=require");
        assert_eq!(tls.mode, SslMode::VerifyCa);
        assert_eq!(tls.root_cert, Some(PathBuf::from("/x y.pem")));
        assert!(split("host=db password='open").is_err());
        assert!(split("host").is_err());
    }
}
