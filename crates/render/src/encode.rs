//! Encoders. Only the ICC profile and print resolution are written (spec §7.5); no EXIF, XMP or
//! comments, so the copy's metadata is stripped by construction.

use std::borrow::Cow;
use std::io::Cursor;

use crate::error::RenderError;
use crate::meta::{self, Dpi};
use crate::modifier::{Compression, Modifier, OutputFormat};
use crate::quantize::{Indexed, quantize};
use crate::raster::Raster;

/// Metadata carried into the copy.
pub(crate) struct Carry<'a> {
    pub icc: Option<&'a [u8]>,
    pub dpi: Option<Dpi>,
}

fn enc(e: impl std::fmt::Display) -> RenderError {
    RenderError::Encode(e.to_string())
}

/// Encodes `img` (gray, gray+alpha, RGB or RGBA, already matching the format's channels).
pub(crate) fn encode(img: &Raster, m: &Modifier, carry: &Carry) -> Result<Vec<u8>, RenderError> {
    match m.fmt.format {
        OutputFormat::Jpeg | OutputFormat::Pjpeg => jpeg_within_size(img, m, carry),
        OutputFormat::Png => png(img, None, carry),
        OutputFormat::Png8 => png(img, Some(quantize(img, &m.quantize, m.fmt.alpha)), carry),
        OutputFormat::Gif => gif(img, &quantize(&expand_gray(img), &m.quantize, m.fmt.alpha)),
        OutputFormat::Webp => webp(&expand_gray(img), m),
        OutputFormat::Tiff => tiff(img, m.fmt.compression, carry),
    }
}

fn expand_gray(img: &Raster) -> Cow<'_, Raster> {
    match img.ch {
        1 | 2 => {
            let mut data = Vec::with_capacity(img.data.len() / img.ch * (img.ch + 2));
            for p in img.data.chunks_exact(img.ch) {
                data.extend_from_slice(&[p[0], p[0], p[0]]);
                if img.ch == 2 {
                    data.push(p[1]);
                }
            }
            Cow::Owned(Raster { w: img.w, h: img.h, ch: img.ch + 2, data })
        }
        _ => Cow::Borrowed(img),
    }
}

/// `jpegSize`: lowers the quality step by step until the copy fits (spec §3.5).
fn jpeg_within_size(img: &Raster, m: &Modifier, carry: &Carry) -> Result<Vec<u8>, RenderError> {
    let mut quality = m.quality;
    loop {
        let out = jpeg(img, m, quality, carry)?;
        let cap = m.jpeg_size as usize * 1024;
        if m.jpeg_size == 0 || out.len() <= cap {
            return Ok(out);
        }
        if quality == 1 {
            return Err(RenderError::Encode(format!(
                "jpegSize: the copy is {} bytes even at quality 1, above the cap of {} KB",
                out.len(),
                m.jpeg_size
            )));
        }
        quality = quality.saturating_sub(5).max(1);
    }
}

fn jpeg(img: &Raster, m: &Modifier, quality: u8, carry: &Carry) -> Result<Vec<u8>, RenderError> {
    if m.fmt.format == OutputFormat::Pjpeg {
        return progressive_jpeg(img, m, quality, carry);
    }
    let (format, subsamp) = match img.ch {
        1 => (turbojpeg::PixelFormat::GRAY, turbojpeg::Subsamp::Gray),
        3 if m.chroma_full => (turbojpeg::PixelFormat::RGB, turbojpeg::Subsamp::None),
        3 => (turbojpeg::PixelFormat::RGB, turbojpeg::Subsamp::Sub2x2),
        n => return Err(RenderError::Internal(format!("JPEG cannot hold {n} channels"))),
    };
    let mut c = turbojpeg::Compressor::new().map_err(enc)?;
    c.set_quality(i32::from(quality)).map_err(enc)?;
    c.set_subsamp(subsamp).map_err(enc)?;
    let image = turbojpeg::Image {
        pixels: &img.data[..],
        width: img.w as usize,
        pitch: img.stride(),
        height: img.h as usize,
        format,
    };
    let out = c.compress_to_vec(image).map_err(enc)?;
    Ok(meta::jpeg_inject(out, carry.dpi, carry.icc))
}

fn progressive_jpeg(img: &Raster, m: &Modifier, quality: u8, carry: &Carry) -> Result<Vec<u8>, RenderError> {
    use jpeg_encoder::{ColorType, Encoder, PixelDensity, PixelDensityUnit, SamplingFactor};
    let mut out = Vec::new();
    let mut e = Encoder::new(&mut out, quality);
    match m.pscan {
        Some(n) => e.set_progressive_scans(n),
        None => e.set_progressive(true),
    }
    e.set_sampling_factor(if m.chroma_full { SamplingFactor::F_1_1 } else { SamplingFactor::F_2_2 });
    if let Some(d) = carry.dpi {
        let v = d.0.round().clamp(1.0, 65535.0) as u16;
        e.set_density(PixelDensity { density: (v, v), unit: PixelDensityUnit::Inches });
    }
    if let Some(p) = carry.icc {
        e.add_icc_profile(p).map_err(enc)?;
    }
    let color = if img.ch == 1 { ColorType::Luma } else { ColorType::Rgb };
    let (w, h) = (u16::try_from(img.w).map_err(enc)?, u16::try_from(img.h).map_err(enc)?);
    e.encode(&img.data, w, h, color).map_err(enc)?;
    Ok(out)
}

fn png(img: &Raster, indexed: Option<Indexed>, carry: &Carry) -> Result<Vec<u8>, RenderError> {
    let mut info = png::Info::with_size(img.w, img.h);
    info.icc_profile = carry.icc.map(|p| Cow::Owned(p.to_vec()));
    let mut out = Vec::new();
    let mut e = png::Encoder::with_info(&mut out, info).map_err(enc)?;
    e.set_depth(png::BitDepth::Eight);
    e.set_compression(png::Compression::Fast);
    if let Some(d) = carry.dpi {
        let ppm = (d.0 / 0.0254).round() as u32;
        e.set_pixel_dims(Some(png::PixelDimensions { xppu: ppm, yppu: ppm, unit: png::Unit::Meter }));
    }
    let data: Cow<[u8]> = match &indexed {
        Some(ix) => {
            e.set_color(png::ColorType::Indexed);
            e.set_palette(ix.palette.concat());
            if let Some(t) = ix.transparent {
                let mut trns = vec![255u8; usize::from(t) + 1];
                trns[usize::from(t)] = 0;
                e.set_trns(trns);
            }
            Cow::Borrowed(&ix.indices)
        }
        None => {
            e.set_color(match img.ch {
                1 => png::ColorType::Grayscale,
                2 => png::ColorType::GrayscaleAlpha,
                3 => png::ColorType::Rgb,
                _ => png::ColorType::Rgba,
            });
            Cow::Borrowed(&img.data)
        }
    };
    let mut w = e.write_header().map_err(enc)?;
    w.write_image_data(&data).map_err(enc)?;
    w.finish().map_err(enc)?;
    Ok(out)
}

fn gif(img: &Raster, ix: &Indexed) -> Result<Vec<u8>, RenderError> {
    let (w, h) = (u16::try_from(img.w).map_err(enc)?, u16::try_from(img.h).map_err(enc)?);
    let mut out = Vec::new();
    {
        let mut e = gif::Encoder::new(&mut out, w, h, &ix.palette.concat()).map_err(enc)?;
        let frame = gif::Frame {
            width: w,
            height: h,
            buffer: Cow::Borrowed(&ix.indices),
            transparent: ix.transparent,
            ..gif::Frame::default()
        };
        e.write_frame(&frame).map_err(enc)?;
    }
    Ok(out)
}

fn webp(img: &Raster, m: &Modifier) -> Result<Vec<u8>, RenderError> {
    let encoder = match img.ch {
        3 => webp::Encoder::from_rgb(&img.data, img.w, img.h),
        _ => webp::Encoder::from_rgba(&img.data, img.w, img.h),
    };
    // The simple `encode` methods unwrap libwebp's errors (e.g. a side above 16383); this one returns them.
    let lossless = m.fmt.compression == Compression::Lossless;
    let memory = encoder
        .encode_simple(lossless, if lossless { 75.0 } else { f32::from(m.quality) })
        .map_err(|e| RenderError::Encode(format!("libwebp: {e:?}")))?;
    if memory.is_empty() {
        return Err(RenderError::Encode("libwebp produced no data".into()));
    }
    let mut out = memory.to_vec();
    if m.fmt.alpha {
        mark_vp8l_alpha(&mut out);
    }
    Ok(out)
}

/// libwebp drops the alpha flag of an all-opaque lossless image; `-alpha` formats promise an
/// alpha channel, so the VP8L header's `alpha_is_used` hint is set back.
fn mark_vp8l_alpha(webp: &mut [u8]) {
    if webp.len() > 25 && &webp[12..16] == b"VP8L" && webp[20] == 0x2f {
        webp[24] |= 0x10;
    }
}

fn tiff(img: &Raster, compression: Compression, carry: &Carry) -> Result<Vec<u8>, RenderError> {
    use tiff::encoder::{Compression as C, DeflateLevel, Rational, TiffEncoder, colortype};
    use tiff::tags::{ResolutionUnit, Tag};
    let mut out = Cursor::new(Vec::new());
    let c = match compression {
        Compression::Lzw => C::Lzw,
        Compression::Zip => C::Deflate(DeflateLevel::Balanced),
        _ => C::Uncompressed,
    };
    // TIFF has no gray+alpha colour type in our writer; widen it to RGBA.
    let img = if img.ch == 2 { expand_gray(img) } else { Cow::Borrowed(img) };
    let mut e = TiffEncoder::new(&mut out).map_err(enc)?.with_compression(c);
    macro_rules! write {
        ($ct:ty) => {{
            let mut image = e.new_image::<$ct>(img.w, img.h).map_err(enc)?;
            if let Some(d) = carry.dpi {
                image.resolution(ResolutionUnit::Inch, Rational { n: (d.0 * 100.0).round() as u32, d: 100 });
            }
            if let Some(p) = carry.icc {
                image.encoder().write_tag(Tag::IccProfile, p).map_err(enc)?;
            }
            image.write_data(&img.data).map_err(enc)?;
        }};
    }
    match img.ch {
        1 => write!(colortype::Gray8),
        3 => write!(colortype::RGB8),
        4 => write!(colortype::RGBA8),
        n => return Err(RenderError::Internal(format!("TIFF writer given {n} channels"))),
    }
    Ok(out.into_inner())
}
