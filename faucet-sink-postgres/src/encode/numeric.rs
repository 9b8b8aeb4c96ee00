//! PostgreSQL's binary `numeric`: base-10000 digits with a weight, sign
//! and display scale, written from a JSON number's decimal text.

use bytes::BufMut;

const POSITIVE: u16 = 0x0000;
const NEGATIVE: u16 = 0x4000;

/// Writes the body (no length prefix) of a `numeric` for the decimal text
/// `text` (`-12.5`, `1e21`, `4.2E-7`). `None` when it is not a number.
pub(crate) fn write_numeric(text: &str, out: &mut impl BufMut) -> Option<()> {
    let (negative, rest) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let (mantissa, exponent) = match rest.find(['e', 'E']) {
        Some(i) => (&rest[..i], rest[i + 1..].parse::<i32>().ok()?),
        None => (rest, 0),
    };
    let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if int_part.is_empty() && frac_part.is_empty() {
        return None;
    }
    let digits: Vec<u8> = int_part
        .bytes()
        .chain(frac_part.bytes())
        .map(|b| b.wrapping_sub(b'0'))
        .collect();
    if digits.iter().any(|&d| d > 9) {
        return None;
    }
    // Decimal point position after `point` digits of `digits`.
    let point = int_part.len() as i32 + exponent;
    let scale = (digits.len() as i32 - point).max(0);
    // Align to base-10000 groups: the point must fall on a group boundary.
    let lead = (4 - point.rem_euclid(4)) % 4;
    let mut padded = vec![0u8; lead as usize];
    padded.extend_from_slice(&digits);
    while !padded.len().is_multiple_of(4) {
        padded.push(0);
    }
    let mut groups: Vec<i16> = padded
        .chunks(4)
        .map(|c| c.iter().fold(0i16, |acc, &d| acc * 10 + i16::from(d)))
        .collect();
    let mut weight = (point + lead) / 4 - 1;
    while groups.first() == Some(&0) {
        groups.remove(0);
        weight -= 1;
    }
    while groups.last() == Some(&0) {
        groups.pop();
    }
    if groups.is_empty() {
        weight = 0;
    }
    out.put_i16(i16::try_from(groups.len()).ok()?);
    out.put_i16(i16::try_from(weight).ok()?);
    out.put_u16(if negative && !groups.is_empty() {
        NEGATIVE
    } else {
        POSITIVE
    });
    out.put_u16(u16::try_from(scale).ok()?);
    for g in groups {
        out.put_i16(g);
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(text: &str) -> Vec<i16> {
        let mut out = Vec::new();
        write_numeric(text, &mut out).unwrap();
        out.chunks(2)
            .map(|c| i16::from_be_bytes([c[0], c[1]]))
            .collect()
    }

    #[test]
    fn encodes_weights_signs_and_scales() {
        // ndigits, weight, sign, dscale, digits...
        assert_eq!(enc("0"), vec![0, 0, 0, 0]);
        assert_eq!(enc("12345"), vec![2, 1, 0, 0, 1, 2345]);
        assert_eq!(enc("-1.5"), vec![2, 0, 0x4000, 1, 1, 5000]);
        assert_eq!(enc("0.0001"), vec![1, -1, 0, 4, 1]);
        assert_eq!(enc("1e21"), vec![1, 5, 0, 0, 10]);
        assert_eq!(enc("2.5E-7"), vec![1, -2, 0, 8, 25]);
        assert_eq!(
            enc("18446744073709551615"),
            vec![5, 4, 0, 0, 1844, 6744, 737, 955, 1615]
        );
    }

    #[test]
    fn rejects_non_numbers() {
        assert!(write_numeric("abc", &mut Vec::new()).is_none());
        assert!(write_numeric("", &mut Vec::new()).is_none());
    }
}
