//! Metadata read from and written into file headers: EXIF orientation, ICC profiles, print
//! resolution and the Adobe CMYK marker. Everything else in a source is dropped.

/// Print resolution in dots per inch.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Dpi(pub f64);

/// What the JPEG header says beyond the frame size.
#[derive(Debug, Default)]
pub(crate) struct JpegMeta {
    pub orientation: u8,
    pub icc: Option<Vec<u8>>,
    pub dpi: Option<Dpi>,
    /// Adobe APP14 present: CMYK samples are stored inverted.
    pub adobe: bool,
}

/// Walks the JPEG markers before the first scan.
pub(crate) fn jpeg_meta(data: &[u8]) -> JpegMeta {
    let mut meta = JpegMeta { orientation: 1, ..Default::default() };
    let mut icc_chunks: Vec<(u8, &[u8])> = Vec::new();
    let mut i = 2;
    while i + 4 <= data.len() {
        if data[i] != 0xFF {
            break;
        }
        let marker = data[i + 1];
        if marker == 0xFF {
            i += 1;
            continue;
        }
        if marker == 0xDA || marker == 0xD9 {
            break;
        }
        let len = usize::from(u16::from_be_bytes([data[i + 2], data[i + 3]]));
        let Some(body) = data.get(i + 4..i + 2 + len) else { break };
        match marker {
            0xE0 if body.starts_with(b"JFIF\0") && body.len() >= 12 => {
                let unit = body[7];
                let x = f64::from(u16::from_be_bytes([body[8], body[9]]));
                meta.dpi = match unit {
                    1 if x > 0.0 => Some(Dpi(x)),
                    2 if x > 0.0 => Some(Dpi(x * 2.54)),
                    _ => None,
                };
            }
            0xE1 if body.starts_with(b"Exif\0\0") => {
                meta.orientation = exif_orientation(&body[6..]).unwrap_or(1)
            }
            0xE2 if body.starts_with(b"ICC_PROFILE\0") && body.len() > 14 => {
                icc_chunks.push((body[12], &body[14..]))
            }
            0xEE if body.starts_with(b"Adobe") => meta.adobe = true,
            _ => {}
        }
        i += 2 + len;
    }
    if !icc_chunks.is_empty() {
        icc_chunks.sort_by_key(|(seq, _)| *seq);
        meta.icc = Some(icc_chunks.iter().flat_map(|(_, c)| c.iter().copied()).collect());
    }
    meta
}

/// The Orientation tag (0x0112) of IFD0 in a TIFF-structured EXIF block.
pub(crate) fn exif_orientation(tiff: &[u8]) -> Option<u8> {
    let le = match tiff.get(..2)? {
        b"II" => true,
        b"MM" => false,
        _ => return None,
    };
    let u16_at = |o: usize| {
        tiff.get(o..o + 2)
            .map(|b| if le { u16::from_le_bytes([b[0], b[1]]) } else { u16::from_be_bytes([b[0], b[1]]) })
    };
    let u32_at = |o: usize| {
        tiff.get(o..o + 4).map(|b| {
            let a = [b[0], b[1], b[2], b[3]];
            if le { u32::from_le_bytes(a) } else { u32::from_be_bytes(a) }
        })
    };
    let ifd = u32_at(4)? as usize;
    let count = usize::from(u16_at(ifd)?);
    for n in 0..count.min(512) {
        let e = ifd + 2 + n * 12;
        if u16_at(e)? == 0x0112 {
            let v = u16_at(e + 8)?;
            return (1..=8).contains(&v).then_some(v as u8);
        }
    }
    None
}

/// Frame size from the first SOF marker, without decoding.
pub(crate) fn jpeg_size(data: &[u8]) -> Option<(u32, u32)> {
    let mut i = 2;
    while i + 4 <= data.len() {
        if data[i] != 0xFF {
            return None;
        }
        let marker = data[i + 1];
        if marker == 0xFF {
            i += 1;
            continue;
        }
        let len = usize::from(u16::from_be_bytes([data[i + 2], data[i + 3]]));
        let is_sof = matches!(marker, 0xC0..=0xCF) && !matches!(marker, 0xC4 | 0xC8 | 0xCC);
        if is_sof {
            let b = data.get(i + 4..i + 9)?;
            return Some((
                u32::from(u16::from_be_bytes([b[3], b[4]])),
                u32::from(u16::from_be_bytes([b[1], b[2]])),
            ));
        }
        if marker == 0xDA {
            return None;
        }
        i += 2 + len;
    }
    None
}

/// The pHYs chunk of a PNG, when it is in metres.
pub(crate) fn png_dpi(data: &[u8]) -> Option<Dpi> {
    let mut i = 8;
    while i + 8 <= data.len() {
        let len = u32::from_be_bytes(data[i..i + 4].try_into().ok()?) as usize;
        let kind = &data[i + 4..i + 8];
        if kind == b"IDAT" {
            return None;
        }
        if kind == b"pHYs" && len == 9 {
            let body = data.get(i + 8..i + 17)?;
            let ppm = u32::from_be_bytes(body[..4].try_into().ok()?);
            return (body[8] == 1 && ppm > 0).then(|| Dpi(f64::from(ppm) * 0.0254));
        }
        i += 12 + len;
    }
    None
}

/// Number of frames in a GIF, counted from its block structure without decoding any pixels;
/// `None` when the structure is broken (the decoder will report why).
pub(crate) fn gif_frames(data: &[u8]) -> Option<usize> {
    let flags = *data.get(10)?;
    let mut i = 13 + if flags & 0x80 != 0 { 3 << ((flags & 7) + 1) } else { 0 };
    let skip_sub_blocks = |mut i: usize| -> Option<usize> {
        loop {
            let len = usize::from(*data.get(i)?);
            i += 1 + len;
            if len == 0 {
                return Some(i);
            }
        }
    };
    let mut frames = 0;
    loop {
        match *data.get(i)? {
            0x3B => return Some(frames),
            0x21 => i = skip_sub_blocks(i + 2)?,
            0x2C => {
                frames += 1;
                let local = *data.get(i + 9)?;
                i += 10 + if local & 0x80 != 0 { 3 << ((local & 7) + 1) } else { 0 };
                i = skip_sub_blocks(i + 1)?;
            }
            _ => return Some(frames),
        }
    }
}

/// Rewrites the JFIF density and inserts ICC APP2 segments into an encoded JPEG.
pub(crate) fn jpeg_inject(jpeg: Vec<u8>, dpi: Option<Dpi>, icc: Option<&[u8]>) -> Vec<u8> {
    if dpi.is_none() && icc.is_none() {
        return jpeg;
    }
    let mut out = Vec::with_capacity(jpeg.len() + icc.map_or(0, |p| p.len() + 64) + 20);
    out.extend_from_slice(&jpeg[..2]);
    let mut rest = &jpeg[2..];
    let has_jfif = rest.len() > 11 && rest[0] == 0xFF && rest[1] == 0xE0 && &rest[4..9] == b"JFIF\0";
    let dens = dpi.map(|d| d.0.round().clamp(1.0, 65535.0) as u16);
    if has_jfif {
        let len = usize::from(u16::from_be_bytes([rest[2], rest[3]]));
        let mut seg = rest[..2 + len].to_vec();
        if let Some(d) = dens {
            seg[11] = 1;
            seg[12..14].copy_from_slice(&d.to_be_bytes());
            seg[14..16].copy_from_slice(&d.to_be_bytes());
        }
        out.extend_from_slice(&seg);
        rest = &rest[2 + len..];
    } else if let Some(d) = dens {
        out.extend_from_slice(&[0xFF, 0xE0, 0, 16, b'J', b'F', b'I', b'F', 0, 1, 1, 1]);
        out.extend_from_slice(&d.to_be_bytes());
        out.extend_from_slice(&d.to_be_bytes());
        out.extend_from_slice(&[0, 0]);
    }
    if let Some(profile) = icc {
        const MAX: usize = 65519 - 14;
        let chunks: Vec<&[u8]> = profile.chunks(MAX).collect();
        for (n, chunk) in chunks.iter().enumerate() {
            let len = (2 + 14 + chunk.len()) as u16;
            out.extend_from_slice(&[0xFF, 0xE2]);
            out.extend_from_slice(&len.to_be_bytes());
            out.extend_from_slice(b"ICC_PROFILE\0");
            out.extend_from_slice(&[(n + 1) as u8, chunks.len() as u8]);
            out.extend_from_slice(chunk);
        }
    }
    out.extend_from_slice(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn injected_density_and_profile_read_back() {
        let bare = vec![0xFF, 0xD8, 0xFF, 0xD9];
        let profile = vec![7u8; 70_000];
        let out = jpeg_inject(bare, Some(Dpi(300.0)), Some(&profile));
        let meta = jpeg_meta(&out);
        assert_eq!(meta.dpi, Some(Dpi(300.0)));
        assert_eq!(meta.icc.as_deref(), Some(&profile[..]));
    }

    #[test]
    fn a_big_endian_exif_orientation_is_read() {
        let mut tiff = b"MM\0\x2a\0\0\0\x08\0\x01".to_vec();
        tiff.extend_from_slice(&[0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 6, 0, 0]);
        assert_eq!(exif_orientation(&tiff), Some(6));
    }
}
