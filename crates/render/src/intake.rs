//! Checks on a master that arrives as a stream (an upload, an import): its first bytes say what
//! it is and how large its pixels are, its last bytes whether it arrived whole. Neither needs the
//! whole file, so a caller can refuse a bomb or a truncated file while holding only its ends.

use crate::{Limits, RenderError, SourceInfo, pipeline::probe};

/// How many leading bytes [`probe_head`] may need: JPEG EXIF, ICC and XMP segments come before
/// the frame header and can reach several hundred KiB together.
pub const HEAD_BYTES: usize = 1 << 20;

/// How many trailing bytes [`check_ending`] reads.
pub const TAIL_BYTES: usize = 64;

/// What the first bytes of a master (up to [`HEAD_BYTES`], or the whole file if shorter) say
/// it is, refused if it is no image the engine reads or its pixels are over `limits`.
pub fn probe_head(head: &[u8], limits: &Limits) -> Result<SourceInfo, RenderError> {
    let info = probe(head)?;
    limits.source((info.width, info.height))?;
    Ok(info)
}

/// Whether a master of `format` (as [`probe_head`] named it), `len` bytes long, whose first
/// bytes are `head` and last ones `tail` (up to [`TAIL_BYTES`]), ends as a whole file does.
pub fn check_ending(format: &str, head: &[u8], tail: &[u8], len: u64) -> Result<(), RenderError> {
    let whole = match format {
        // EOI; a few bytes of padding after it are common, so it need not be the very end.
        "jpeg" => tail.windows(2).any(|w| w == [0xFF, 0xD9]),
        // The IEND chunk: length 0, type, and its fixed CRC.
        "png" => tail.ends_with(&[0, 0, 0, 0, b'I', b'E', b'N', b'D', 0xAE, 0x42, 0x60, 0x82]),
        "gif" => tail.last() == Some(&0x3B),
        // The RIFF header states the file's length.
        "webp" => {
            head.get(4..8).is_some_and(|n| u64::from(u32::from_le_bytes([n[0], n[1], n[2], n[3]])) + 8 <= len)
        }
        // TIFF has no trailer: its directories may sit anywhere.
        _ => true,
    };
    if whole {
        Ok(())
    } else {
        Err(RenderError::Undecodable(format!(
            "the {format} file is truncated: it does not end as a whole {format} file does"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(width: u32, height: u32) -> Vec<u8> {
        let mut out = Vec::new();
        image::RgbImage::new(width, height)
            .write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
            .unwrap();
        out
    }

    fn ends(data: &[u8]) -> &[u8] {
        &data[data.len().saturating_sub(TAIL_BYTES)..]
    }

    #[test]
    fn a_whole_png_passes_and_the_same_png_cut_short_is_truncated() {
        let data = png(8, 8);
        let info = probe_head(&data, &Limits::default()).unwrap();
        let cut = &data[..data.len() - 5];

        assert_eq!((info.width, info.height, info.format), (8, 8, "png"));
        assert!(check_ending("png", &data, ends(&data), data.len() as u64).is_ok());
        let err = check_ending("png", cut, ends(cut), cut.len() as u64).unwrap_err();
        assert!(err.to_string().contains("truncated"), "{err}");
    }

    #[test]
    fn a_header_claiming_more_pixels_than_the_limit_is_refused_before_any_decode() {
        let limits = Limits { max_source_pixels: 1_000, ..Limits::default() };

        let err = probe_head(&png(100, 100), &limits).unwrap_err();

        assert!(matches!(err, RenderError::LimitExceeded(_)), "{err}");
    }

    #[test]
    fn text_is_not_an_image() {
        assert!(matches!(probe_head(b"hello, world", &Limits::default()), Err(RenderError::Undecodable(_))));
    }

    #[test]
    fn a_jpeg_must_end_with_its_end_of_image_marker_and_a_webp_with_its_stated_length() {
        let mut riff = b"RIFF".to_vec();
        riff.extend_from_slice(&100u32.to_le_bytes());

        assert!(check_ending("jpeg", &[], &[0x12, 0xFF, 0xD9, 0, 0], 5).is_ok());
        assert!(check_ending("jpeg", &[], &[0x12, 0x34, 0x56], 3).is_err());
        assert!(check_ending("webp", &riff, &[], 108).is_ok());
        assert!(check_ending("webp", &riff, &[], 60).is_err());
    }
}
