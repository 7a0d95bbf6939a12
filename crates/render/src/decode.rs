//! Header probing and pixel decoding. JPEG goes through libjpeg-turbo with DCT-domain
//! shrink-on-load; the other formats through the `image` crate. Output is upright 8-bit RGB/RGBA.

use std::io::Cursor;

use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader};
use turbojpeg::{Colorspace, Decompressor, Image, PixelFormat, ScalingFactor};

use crate::error::RenderError;
use crate::meta::{self, Dpi};
use crate::ops::geometry;
use crate::raster::Raster;

/// Source container formats we read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SourceFormat {
    Jpeg,
    Png,
    Gif,
    Webp,
    Tiff,
}

impl SourceFormat {
    pub fn name(self) -> &'static str {
        match self {
            SourceFormat::Jpeg => "jpeg",
            SourceFormat::Png => "png",
            SourceFormat::Gif => "gif",
            SourceFormat::Webp => "webp",
            SourceFormat::Tiff => "tiff",
        }
    }

    fn image_format(self) -> ImageFormat {
        match self {
            SourceFormat::Jpeg => ImageFormat::Jpeg,
            SourceFormat::Png => ImageFormat::Png,
            SourceFormat::Gif => ImageFormat::Gif,
            SourceFormat::Webp => ImageFormat::WebP,
            SourceFormat::Tiff => ImageFormat::Tiff,
        }
    }
}

/// What the header says, before any pixel is decoded.
#[derive(Debug, Clone)]
pub(crate) struct Header {
    pub format: SourceFormat,
    /// Stored size (before orientation).
    pub stored: (u32, u32),
    pub orientation: u8,
}

impl Header {
    /// Size as displayed, EXIF orientation applied.
    pub fn upright(&self) -> (u32, u32) {
        if self.orientation >= 5 { (self.stored.1, self.stored.0) } else { self.stored }
    }
}

/// Decoded pixels plus the metadata a copy keeps.
#[derive(Clone)]
pub(crate) struct Decoded {
    pub raster: Raster,
    pub icc: Option<Vec<u8>>,
    pub dpi: Option<Dpi>,
}

fn sniff(data: &[u8]) -> Option<SourceFormat> {
    if data.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(SourceFormat::Jpeg)
    } else if data.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(SourceFormat::Png)
    } else if data.starts_with(b"GIF87a") || data.starts_with(b"GIF89a") {
        Some(SourceFormat::Gif)
    } else if data.len() >= 12 && &data[..4] == b"RIFF" && &data[8..12] == b"WEBP" {
        Some(SourceFormat::Webp)
    } else if data.starts_with(b"II*\0") || data.starts_with(b"MM\0*") {
        Some(SourceFormat::Tiff)
    } else {
        None
    }
}

fn undecodable(e: impl std::fmt::Display) -> RenderError {
    RenderError::Undecodable(e.to_string())
}

/// What the `image` decoders may allocate beside the pixels they return (the pixel limit is
/// checked on the header by the caller): metadata while the header is read, and, once the size
/// is known, side buffers up to twice the image (a GIF frame bigger than its screen, TIFF
/// strips). A 79-byte GIF whose 9215×4 screen held a 16,723×18,756 frame asked for 1.25 GB
/// (found by fuzzing); a 1 MB PNG of one pixel inflated its ICC profile to 1 GiB (2 GB RSS).
const SIDE_ALLOC: u64 = 64 << 20;

fn reader(data: &[u8], format: SourceFormat) -> ImageReader<Cursor<&[u8]>> {
    let mut r = ImageReader::with_format(Cursor::new(data), format.image_format());
    let mut limits = image::Limits::default();
    limits.max_alloc = Some(SIDE_ALLOC);
    r.limits(limits);
    r
}

/// Hitting `SIDE_ALLOC` is a limit the file exceeds, not a file we cannot read.
fn image_error(e: image::ImageError) -> RenderError {
    match e {
        image::ImageError::Limits(e) => RenderError::LimitExceeded(format!(
            "source: decoding needs more memory than the image's size allows ({e})"
        )),
        e => undecodable(e),
    }
}

/// Reads format, size and orientation from the header only.
pub(crate) fn header(data: &[u8]) -> Result<Header, RenderError> {
    let format = sniff(data).ok_or_else(|| undecodable("not a JPEG, PNG, GIF, WebP or TIFF file"))?;
    if format == SourceFormat::Jpeg {
        let stored = meta::jpeg_size(data).ok_or_else(|| undecodable("JPEG has no frame header"))?;
        if stored.0 == 0 || stored.1 == 0 {
            return Err(undecodable("JPEG frame size is zero"));
        }
        return Ok(Header { format, stored, orientation: meta::jpeg_meta(data).orientation });
    }
    let mut decoder = reader(data, format).into_decoder().map_err(image_error)?;
    let stored = decoder.dimensions();
    let orientation = decoder.orientation().map(|o| o.to_exif()).unwrap_or(1);
    Ok(Header { format, stored, orientation })
}

/// Decodes at 1/`shrink` of the stored size (JPEG only; others ignore it) and applies orientation.
pub(crate) fn decode(data: &[u8], h: &Header, shrink: u32) -> Result<Decoded, RenderError> {
    let (raster, icc, dpi) = match h.format {
        SourceFormat::Jpeg => decode_jpeg(data, h.stored, shrink)?,
        _ => decode_other(data, h.format)?,
    };
    Ok(Decoded { raster: geometry::orient(raster, h.orientation), icc, dpi })
}

type Parts = (Raster, Option<Vec<u8>>, Option<Dpi>);

fn decode_jpeg(data: &[u8], stored: (u32, u32), shrink: u32) -> Result<Parts, RenderError> {
    let meta = meta::jpeg_meta(data);
    let mut d = Decompressor::new().map_err(undecodable)?;
    let header = d.read_header(data).map_err(undecodable)?;
    // The limits were checked on our own reading of the frame header. A file that libjpeg reads
    // differently (an RST marker before the frame, which it takes as standalone) must not slip a
    // bigger frame past them (a 66 KB file was 1×1 to us and 30,000×30,000 to libjpeg).
    if (header.width, header.height) != (stored.0 as usize, stored.1 as usize) {
        return Err(undecodable(format!(
            "the JPEG frame header is ambiguous: {}×{} or {}×{}",
            stored.0, stored.1, header.width, header.height
        )));
    }
    let factor = ScalingFactor::new(1, shrink as usize);
    if shrink > 1 && !header.is_lossless {
        d.set_scaling_factor(factor).map_err(undecodable)?;
    }
    let scaled = if shrink > 1 && !header.is_lossless { header.scaled(factor) } else { header };
    let (w, h) = (scaled.width, scaled.height);
    let cmyk = matches!(header.colorspace, Colorspace::CMYK | Colorspace::YCCK);
    let (format, ch) = if cmyk { (PixelFormat::CMYK, 4) } else { (PixelFormat::RGB, 3) };
    let mut pixels = vec![0u8; w * h * ch];
    let image = Image { pixels: &mut pixels[..], width: w, pitch: w * ch, height: h, format };
    d.decompress(data, image).map_err(undecodable)?;
    let data = if cmyk { cmyk_to_rgb(&pixels, meta.adobe) } else { pixels };
    let raster = Raster { w: w as u32, h: h as u32, ch: 3, data };
    Ok((raster, meta.icc, meta.dpi))
}

/// Naïve CMYK → RGB (spec §6.2 step 1); Adobe files store the inks inverted.
fn cmyk_to_rgb(px: &[u8], inverted: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(px.len() / 4 * 3);
    for p in px.chunks_exact(4) {
        let [c, m, y, k] = [p[0], p[1], p[2], p[3]].map(u32::from);
        let ch = |v: u32| if inverted { (v * k + 127) / 255 } else { ((255 - v) * (255 - k) + 127) / 255 };
        out.extend_from_slice(&[ch(c) as u8, ch(m) as u8, ch(y) as u8]);
    }
    out
}

fn decode_other(data: &[u8], format: SourceFormat) -> Result<Parts, RenderError> {
    let mut decoder = reader(data, format).into_decoder().map_err(image_error)?;
    let mut limits = image::Limits::default();
    limits.max_alloc = Some(decoder.total_bytes().saturating_mul(2).saturating_add(SIDE_ALLOC));
    decoder.set_limits(limits).map_err(image_error)?;
    let icc = decoder.icc_profile().ok().flatten().filter(|p| !p.is_empty());
    let dpi = if format == SourceFormat::Png { meta::png_dpi(data) } else { None };
    let alpha = decoder.color_type().has_alpha();
    let image = DynamicImage::from_decoder(decoder).map_err(image_error)?;
    let raster = if alpha {
        let rgba = image.into_rgba8();
        Raster { w: rgba.width(), h: rgba.height(), ch: 4, data: rgba.into_raw() }
    } else {
        let rgb = image.into_rgb8();
        Raster { w: rgb.width(), h: rgb.height(), ch: 3, data: rgb.into_raw() }
    };
    Ok((raster, icc, dpi))
}
