//! Colour values of spec §4 (`bgc`, `bgColor`, `color`, `op_colorize`).

/// An sRGB colour with straight (not premultiplied) alpha.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rgba(pub [u8; 4]);

impl Rgba {
    /// Opaque white, the default `bgc`.
    pub const WHITE: Rgba = Rgba([255, 255, 255, 255]);
    /// Fully transparent black.
    pub const TRANSPARENT: Rgba = Rgba([0, 0, 0, 0]);

    /// The same colour, fully opaque.
    pub fn opaque(self) -> Rgba {
        let [r, g, b, _] = self.0;
        Rgba([r, g, b, 255])
    }
}

/// What kind of colour a value was written as; `op_colorize` accepts RGB forms only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ColorKind {
    Rgb,
    Gray,
    Cmyk,
}

/// Parses a colour following the disambiguation rules of spec §4; `None` means invalid.
pub(crate) fn parse_color(raw: &str) -> Option<(Rgba, ColorKind)> {
    let s = raw.trim();
    // The `s` suffix (source colour space) carries no meaning without colour management.
    let s = s.strip_suffix(['s', 'S']).unwrap_or(s);
    let (body, suffix) = match s.chars().last()?.to_ascii_lowercase() {
        c @ ('r' | 'g' | 'k') => (&s[..s.len() - 1], Some(c)),
        _ => (s, None),
    };
    if body.contains(',') { parse_decimal(body, suffix) } else { parse_single(body, suffix) }
}

fn parse_decimal(body: &str, suffix: Option<char>) -> Option<(Rgba, ColorKind)> {
    let parts: Vec<u32> = body.split(',').map(|p| p.trim().parse::<u32>().ok()).collect::<Option<_>>()?;
    match (suffix, parts.len()) {
        (None | Some('r'), 3 | 4) => {
            if parts.iter().any(|&p| p > 255) {
                return None;
            }
            let a = parts.get(3).copied().unwrap_or(255);
            Some((Rgba([parts[0] as u8, parts[1] as u8, parts[2] as u8, a as u8]), ColorKind::Rgb))
        }
        (None | Some('g'), 1 | 2) => {
            if parts.iter().any(|&p| p > 100) {
                return None;
            }
            let g = percent(parts[0]);
            let a = parts.get(1).map_or(255, |&a| percent(a));
            Some((Rgba([g, g, g, a]), ColorKind::Gray))
        }
        (Some('k'), 4 | 5) => {
            if parts.iter().any(|&p| p > 100) {
                return None;
            }
            let [c, m, y, k] = [parts[0], parts[1], parts[2], parts[3]].map(|v| f64::from(v) / 100.0);
            let a = parts.get(4).map_or(255, |&a| percent(a));
            Some((cmyk_to_rgba(c, m, y, k, a), ColorKind::Cmyk))
        }
        _ => None,
    }
}

fn parse_single(body: &str, suffix: Option<char>) -> Option<(Rgba, ColorKind)> {
    let (hex, had_0x) = match body.get(..2) {
        Some(p) if p.eq_ignore_ascii_case("0x") => (&body[2..], true),
        _ => (body, false),
    };
    if !had_0x && suffix.is_none() && (1..=3).contains(&hex.len()) && hex.bytes().all(|b| b.is_ascii_digit())
    {
        let v: u32 = hex.parse().ok()?;
        return (v <= 100).then(|| (Rgba([percent(v); 3].into_rgba(255)), ColorKind::Gray));
    }
    if hex.is_empty() || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let bytes: Vec<u8> =
        (0..hex.len() / 2).map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap_or(0)).collect();
    match (suffix, hex.len()) {
        (None | Some('r'), 6) => Some((Rgba([bytes[0], bytes[1], bytes[2], 255]), ColorKind::Rgb)),
        (None | Some('r'), 8) => Some((Rgba([bytes[0], bytes[1], bytes[2], bytes[3]]), ColorKind::Rgb)),
        (Some('k'), 8 | 10) => {
            let [c, m, y, k] = [bytes[0], bytes[1], bytes[2], bytes[3]].map(|v| f64::from(v) / 255.0);
            Some((cmyk_to_rgba(c, m, y, k, bytes.get(4).copied().unwrap_or(255)), ColorKind::Cmyk))
        }
        (None | Some('g'), 2 | 4) if had_0x => Some((
            Rgba([bytes[0], bytes[0], bytes[0], bytes.get(1).copied().unwrap_or(255)]),
            ColorKind::Gray,
        )),
        _ => None,
    }
}

trait IntoRgba {
    fn into_rgba(self, a: u8) -> [u8; 4];
}

impl IntoRgba for [u8; 3] {
    fn into_rgba(self, a: u8) -> [u8; 4] {
        [self[0], self[1], self[2], a]
    }
}

fn percent(v: u32) -> u8 {
    ((f64::from(v) * 255.0 / 100.0) + 0.5).floor() as u8
}

/// Naïve CMYK → RGB (spec §3.4: no colour management in v1).
fn cmyk_to_rgba(c: f64, m: f64, y: f64, k: f64, a: u8) -> Rgba {
    let ch = |x: f64| (255.0 * (1.0 - x) * (1.0 - k) + 0.5).floor() as u8;
    Rgba([ch(c), ch(m), ch(y), a])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rgba(s: &str) -> Option<[u8; 4]> {
        parse_color(s).map(|(c, _)| c.0)
    }

    #[test]
    fn every_example_form_of_the_spec_parses_to_the_documented_colour() {
        assert_eq!(rgba("214,245,130"), Some([214, 245, 130, 255]));
        assert_eq!(rgba("50,75g"), Some([128, 128, 128, 191]));
        assert_eq!(rgba("ffffff"), Some([255, 255, 255, 255]));
        assert_eq!(rgba("0x336699"), Some([0x33, 0x66, 0x99, 255]));
        assert_eq!(rgba("a0b1c2d3"), Some([160, 177, 194, 211]));
        assert_eq!(rgba("0x70g"), Some([0x70, 0x70, 0x70, 255]));
        assert_eq!(rgba("0x010203s"), Some([1, 2, 3, 255]));
        assert_eq!(rgba("0,0,0,0k"), Some([255, 255, 255, 255]));
        assert_eq!(rgba("0,0,0,100k"), Some([0, 0, 0, 255]));
        assert!(rgba("38393A3bK").is_some());
    }

    #[test]
    fn a_bare_short_decimal_is_a_gray_percentage() {
        assert_eq!(rgba("50"), Some([128, 128, 128, 255]));
        assert_eq!(rgba("0"), Some([0, 0, 0, 255]));
        assert_eq!(rgba("255"), None);
    }

    #[test]
    fn malformed_colours_are_refused() {
        for bad in ["gggggg", "12345", "0x1", "256,0,0", "1,2,3,4,5", "", "ffffffk", "70g"] {
            assert_eq!(rgba(bad), None, "{bad}");
        }
    }
}
