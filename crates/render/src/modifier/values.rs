//! Value-level grammar of spec §1.2: percent-decoding, argument lists, integers and reals.

use crate::error::ModifierError;

/// Decodes `%xx` escapes only; `+` stays a plus sign (spec §1.2 rule 5).
pub(crate) fn percent_decode(command: &str, raw: &str) -> Result<String, ModifierError> {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
            match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                Some(b) => out.push(b),
                None => {
                    return Err(ModifierError::new(
                        command,
                        "malformed %-escape (expected %xx with two hex digits)",
                    ));
                }
            }
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out)
        .map_err(|_| ModifierError::new(command, "value is not valid UTF-8 after %-decoding"))
}

/// The decoded, comma-split and trimmed arguments of one command.
#[derive(Debug)]
pub(crate) struct Args<'a> {
    pub command: &'a str,
    pub raw: &'a str,
    pub parts: Vec<&'a str>,
}

impl<'a> Args<'a> {
    pub fn new(command: &'a str, decoded: &'a str) -> Self {
        let parts = decoded.split(',').map(|p| p.trim_matches([' ', '\t'])).collect();
        Self { command, raw: decoded, parts }
    }

    pub fn err(&self, reason: impl Into<String>) -> ModifierError {
        ModifierError::new(self.command, reason)
    }

    /// Requires between `min` and `max` arguments; `what` describes the expected shape.
    pub fn count(&self, min: usize, max: usize, what: &str) -> Result<(), ModifierError> {
        let n = self.parts.len();
        if n < min || n > max {
            let got = if n == 1 { "1 value".to_string() } else { format!("{n} values") };
            return Err(self.err(format!("expects {what}, got {got} in {:?}", self.raw)));
        }
        Ok(())
    }

    /// The argument at `i`, or `None` when absent or empty.
    pub fn opt(&self, i: usize) -> Option<&'a str> {
        self.parts.get(i).copied().filter(|s| !s.is_empty())
    }

    pub fn int(&self, i: usize, name: &str) -> Result<i64, ModifierError> {
        let s = self.opt(i).ok_or_else(|| self.err(format!("{name} is missing")))?;
        parse_int(s).map_err(|e| self.err(e.message(name, s)))
    }

    pub fn int_in(&self, i: usize, name: &str, lo: i64, hi: i64) -> Result<i64, ModifierError> {
        let v = self.int(i, name)?;
        if v < lo || v > hi {
            return Err(self.err(format!("{name} must be {lo}..{hi}, got {v}")));
        }
        Ok(v)
    }

    pub fn real(&self, i: usize, name: &str) -> Result<f64, ModifierError> {
        let s = self.opt(i).ok_or_else(|| self.err(format!("{name} is missing")))?;
        parse_real(s).ok_or_else(|| self.err(format!("{name}: not a number: {s:?}")))
    }

    pub fn real_in(&self, i: usize, name: &str, lo: f64, hi: f64) -> Result<f64, ModifierError> {
        let v = self.real(i, name)?;
        if v < lo || v > hi {
            return Err(self.err(format!("{name} must be {lo}..{hi}, got {v}")));
        }
        Ok(v)
    }

    pub fn bool01(&self, i: usize, name: &str) -> Result<bool, ModifierError> {
        Ok(self.int_in(i, name, 0, 1)? == 1)
    }
}

/// Why a string is not an integer.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum IntError {
    /// A real number where an integer is required (`500.5`).
    Fraction,
    NotANumber,
    TooLarge,
}

impl IntError {
    pub fn message(&self, name: &str, s: &str) -> String {
        match self {
            IntError::Fraction => format!("{name} must be an integer, got {s:?}"),
            IntError::NotANumber => format!("{name}: not a number: {s:?}"),
            IntError::TooLarge => format!("{name} is out of range: {s:?}"),
        }
    }
}

/// Optional sign then ASCII digits; nothing else.
pub(crate) fn parse_int(s: &str) -> Result<i64, IntError> {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(if parse_real(s).is_some() { IntError::Fraction } else { IntError::NotANumber });
    }
    if digits.len() > 12 {
        return Err(IntError::TooLarge);
    }
    let v: i64 = digits.parse().map_err(|_| IntError::TooLarge)?;
    Ok(if s.starts_with('-') { -v } else { v })
}

/// Optional sign, digits, optional `.fraction`; a leading `.` is allowed. No exponent, NaN or inf.
pub(crate) fn parse_real(s: &str) -> Option<f64> {
    let body = s.strip_prefix(['+', '-']).unwrap_or(s);
    let (int, frac) = body.split_once('.').unwrap_or((body, ""));
    let valid = !(int.is_empty() && frac.is_empty())
        && int.bytes().all(|b| b.is_ascii_digit())
        && frac.bytes().all(|b| b.is_ascii_digit())
        && int.len() <= 15;
    if !valid {
        return None;
    }
    s.parse::<f64>().ok().filter(|v| v.is_finite())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_escapes_decode_and_plus_stays_a_plus() {
        assert_eq!(percent_decode("qlt", "90%2C0+1").unwrap(), "90,0+1");
    }

    #[test]
    fn a_truncated_percent_escape_is_rejected() {
        let e = percent_decode("qlt", "90%2").unwrap_err();
        assert_eq!(e.command, "qlt");
        assert!(e.reason.contains("malformed"), "{}", e.reason);
    }

    #[test]
    fn reals_accept_a_leading_dot_and_refuse_exponents_and_infinity() {
        assert_eq!(parse_real(".9"), Some(0.9));
        assert_eq!(parse_real("-1.5"), Some(-1.5));
        assert_eq!(parse_real("1e3"), None);
        assert_eq!(parse_real("inf"), None);
        assert_eq!(parse_real("NaN"), None);
        assert_eq!(parse_real("."), None);
        assert_eq!(parse_real("0x10"), None);
    }

    #[test]
    fn integers_take_a_sign_and_refuse_fractions() {
        assert_eq!(parse_int("+5"), Ok(5));
        assert_eq!(parse_int("-12"), Ok(-12));
        assert_eq!(parse_int("500.5"), Err(IntError::Fraction));
        assert_eq!(parse_int("ninety"), Err(IntError::NotANumber));
        assert_eq!(parse_int(""), Err(IntError::NotANumber));
    }
}
