//! PostgreSQL's binary `numeric`: base-10000 digits with a weight, sign
//! and display scale, written from a JSON number's decimal text.

use bytes::BufMut;

const POSITIVE: u16 = 0x0000;
const NEGATIVE: u16 = 0x4000;
/// The largest display scale PostgreSQL accepts in binary input.
const MAX_SCALE: i64 = 0x3FFF;

/// Writes the body (no length prefix) of a `numeric` for the decimal text
/// `text` (`-12.5`, `1e400`, `4.2E-7`), every digit kept: no float in
/// between. `None` when it is not a decimal number or lies beyond what
/// `numeric` holds (a weight beyond 32767 groups of four digits, or more
/// than 16383 digits after the point). Allocates nothing.
pub(crate) fn write_numeric(text: &str, out: &mut impl BufMut) -> Option<()> {
    let (negative, rest) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let (mantissa, exponent) = match rest.find(['e', 'E']) {
        Some(i) => (&rest[..i], rest[i + 1..].parse::<i64>().ok()?),
        None => (rest, 0),
    };
    let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = || int_part.bytes().chain(frac_part.bytes()).map(|b| b - b'0');
    if mantissa.is_empty()
        || !int_part
            .bytes()
            .chain(frac_part.bytes())
            .all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let n = (int_part.len() + frac_part.len()) as i64;
    if n == 0 {
        return None;
    }
    // The decimal point falls after `point` digits; digit `i` stands for
    // 10^(point - 1 - i).
    let point = (int_part.len() as i64).checked_add(exponent)?;
    let scale = n.checked_sub(point)?.max(0);
    if scale > MAX_SCALE {
        return None;
    }
    let first = digits().take_while(|&d| d == 0).count() as i64;
    if first == n {
        // Zero (PostgreSQL's numeric has no negative zero).
        out.put_i16(0);
        out.put_i16(0);
        out.put_u16(POSITIVE);
        out.put_u16(scale as u16);
        return Some(());
    }
    let last = n - digits().rev().take_while(|&d| d == 0).count() as i64;
    let group_of = |i: i64| (point - 1 - i).div_euclid(4);
    let weight = i16::try_from(group_of(first)).ok()?;
    let ndigits = i16::try_from(group_of(first) - group_of(last - 1) + 1).ok()?;
    out.put_i16(ndigits);
    out.put_i16(weight);
    out.put_u16(if negative { NEGATIVE } else { POSITIVE });
    out.put_u16(scale as u16);
    let (mut group, mut value) = (group_of(first), 0i16);
    for (i, d) in (first..last).zip(digits().skip(first as usize)) {
        if group_of(i) != group {
            out.put_i16(value);
            (group, value) = (group_of(i), 0);
        }
        value += i16::from(d) * 10i16.pow((point - 1 - i).rem_euclid(4) as u32);
    }
    out.put_i16(value);
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
    fn keeps_every_digit_and_the_scale() {
        // 38 digits: groups of four from the point outwards.
        assert_eq!(
            enc("12345678901234567890.123456789012345678"),
            vec![
                10, 4, 0, 18, 1234, 5678, 9012, 3456, 7890, 1234, 5678, 9012, 3456, 7800
            ]
        );
        assert_eq!(enc("1.50"), vec![2, 0, 0, 2, 1, 5000]);
        assert_eq!(enc("-0"), vec![0, 0, 0, 0]);
        assert_eq!(enc("-0.00"), vec![0, 0, 0, 2]);
        assert_eq!(enc("1e400"), vec![1, 100, 0, 0, 1]);
        assert_eq!(enc("1E+2"), vec![1, 0, 0, 0, 100]);
        assert_eq!(enc("100200000"), vec![2, 2, 0, 0, 1, 20]);
    }

    #[test]
    fn rejects_non_numbers_and_out_of_range() {
        for text in [
            "abc",
            "",
            "-",
            ".",
            "1e",
            "1.2.3",
            "1e99999999999999999999",
            "1e-20000",
        ] {
            assert!(write_numeric(text, &mut Vec::new()).is_none(), "{text}");
        }
        assert!(write_numeric("1e131071", &mut Vec::new()).is_some());
        assert!(write_numeric("1e131072", &mut Vec::new()).is_none());
        assert!(write_numeric(&format!("1e{}", i64::MAX), &mut Vec::new()).is_none());
    }
}
