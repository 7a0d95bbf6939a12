//! Names clients give to assets and companies.

use super::Fault;

/// Longest asset or company name accepted, in characters.
pub const MAX_NAME_CHARS: usize = 255;

/// Checks a name that becomes part of a catalog id or a folder path: stored literally, so it
/// must not carry separators or control characters that could be interpreted later.
pub fn validate(field: &str, name: &str) -> Result<(), Fault> {
    let invalid = |why: &str| Err(Fault::invalid_parameter(format!("{field} {why}")));
    if name.trim().is_empty() {
        return Err(Fault::missing_parameter(field));
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return invalid(&format!("is longer than {MAX_NAME_CHARS} characters"));
    }
    if name.trim() != name {
        return invalid("has leading or trailing spaces");
    }
    if name.chars().any(|c| c.is_control()) {
        return invalid("contains a control character");
    }
    if name.contains(['/', '\\']) || name == "." || name == ".." {
        return invalid("contains '/' or '\\\\' or is '.' or '..'");
    }
    Ok(())
}

/// The MIME type of a stored image format name.
pub fn mime_of(format: &str) -> &'static str {
    match format {
        "jpeg" | "pjpeg" => "image/jpeg",
        "png" | "png8" => "image/png",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "tiff" | "tif" => "image/tiff",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_names_with_spaces_dots_and_unicode_are_accepted() {
        for ok in ["Copy_macbookwin1", "summer sale.jpg", "Ünïcode 写真", "a"] {
            assert_eq!(validate("name", ok), Ok(()), "{ok}");
        }
    }

    #[test]
    fn empty_names_are_missing_and_hostile_ones_are_invalid() {
        assert_eq!(validate("name", "").unwrap_err().code, Fault::MISSING_PARAMETER);
        for bad in ["../etc", "a/b", "nul\u{0}byte", " padded", "..", &"x".repeat(256)] {
            assert_eq!(validate("name", bad).unwrap_err().code, Fault::INVALID_PARAMETER, "{bad:?}");
        }
    }
}
