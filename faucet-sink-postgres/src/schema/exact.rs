//! Whether a number's text survives `double precision`: a decimal that an
//! `f64` would round (more significant digits than it holds) must go to
//! `numeric`, never be rounded silently.

/// Whether `text` (a JSON number) reads back as the same decimal value
/// after a trip through `f64`: `1.5`, `1.50`, `1e3` and `-0.00225` do;
/// `12345678901234567890.5` and `0.1000000000000000000001` do not.
pub(crate) fn survives_f64(text: &str) -> bool {
    text.parse::<f64>().is_ok_and(|f| survives(text, f))
}

/// Whether `f`, parsed from `text`, is the same decimal value as `text`
/// (for callers that parsed it already).
pub(crate) fn survives(text: &str, f: f64) -> bool {
    if !f.is_finite() {
        return false;
    }
    // Up to 15 significant digits always survive (an f64 holds 15 decimal
    // digits exactly): the common case needs no formatting.
    let significant = text
        .bytes()
        .take_while(|b| !matches!(b, b'e' | b'E'))
        .filter(u8::is_ascii_digit)
        .skip_while(|b| *b == b'0')
        .count();
    // Rust prints the shortest text that reads back as the same f64.
    significant <= 15 || decimal(text) == decimal(&f.to_string())
}

/// A decimal as (negative, significant digits, exponent of the last digit),
/// trailing and leading zeros removed: `1.50` and `15e-1` are equal.
fn decimal(text: &str) -> (bool, String, i64) {
    let (negative, text) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (mantissa, exponent) = match text.find(['e', 'E']) {
        Some(at) => (&text[..at], text[at + 1..].parse::<i64>().unwrap_or(0)),
        None => (text, 0),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let mut digits: String = int.chars().chain(frac.chars()).collect();
    let mut exponent = exponent - frac.len() as i64;
    while digits.ends_with('0') {
        digits.pop();
        exponent += 1;
    }
    let digits = digits.trim_start_matches('0').to_owned();
    if digits.is_empty() {
        // Zero: its sign and exponent do not matter to a column.
        return (false, String::new(), 0);
    }
    (negative, digits, exponent)
}

#[cfg(test)]
mod tests {
    use super::survives_f64;

    #[test]
    fn short_decimals_survive_long_ones_do_not() {
        for ok in [
            "1.5", "1.50", "1e3", "-2.25e-3", "0", "-0", "8284.90", "0.1", "1E+2",
        ] {
            assert!(survives_f64(ok), "{ok}");
        }
        for lost in [
            "12345678901234567890.123456789012345678",
            "0.1000000000000000000001",
            "9007199254740993",
            "1e400",
            "-0.000000000000000000000000000000000001234567890123456789",
        ] {
            assert!(!survives_f64(lost), "{lost}");
        }
    }
}
