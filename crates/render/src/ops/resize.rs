//! Resampling through `fast_image_resize` (SIMD), with the `resMode` filter of spec §11.

use fast_image_resize::images::{Image, ImageRef};
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};

use crate::error::RenderError;
use crate::modifier::ResMode;
use crate::raster::Raster;

/// A source region in (fractional) pixels of the image being resampled.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Region {
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
}

fn pixel_type(ch: usize) -> PixelType {
    match ch {
        1 => PixelType::U8,
        2 => PixelType::U8x2,
        3 => PixelType::U8x3,
        _ => PixelType::U8x4,
    }
}

fn algorithm(mode: ResMode, upscaling: bool) -> ResizeAlg {
    let filter = match mode {
        ResMode::Bilin => FilterType::Bilinear,
        ResMode::Bicub => FilterType::CatmullRom,
        ResMode::Sharp2 | ResMode::Bisharp => FilterType::Lanczos3,
        // Tri-linear mixes resolution levels; a box average is its closest single-pass equivalent.
        ResMode::Trilin if upscaling => FilterType::Bilinear,
        ResMode::Trilin => FilterType::Box,
    };
    ResizeAlg::Convolution(filter)
}

fn is_identity(src: &Raster, region: Region, size: (u32, u32)) -> bool {
    let whole =
        region.x == 0.0 && region.y == 0.0 && region.w == f64::from(src.w) && region.h == f64::from(src.h);
    whole && size == (src.w, src.h)
}

/// Like [`resample`], but hands the source back untouched when nothing changes (no copy).
pub(crate) fn resample_owned(
    src: Raster,
    region: Region,
    size: (u32, u32),
    mode: ResMode,
) -> Result<Raster, RenderError> {
    if is_identity(&src, region, size) { Ok(src) } else { resample(&src, region, size, mode) }
}

/// Resamples `region` of `src` to a `w`×`h` image.
pub(crate) fn resample(
    src: &Raster,
    region: Region,
    (w, h): (u32, u32),
    mode: ResMode,
) -> Result<Raster, RenderError> {
    // Regions come from products of ratios; keep float error from poking past the edges.
    let (sw, sh) = (f64::from(src.w), f64::from(src.h));
    let x = region.x.clamp(0.0, sw);
    let y = region.y.clamp(0.0, sh);
    let region = Region { x, y, w: region.w.min(sw - x), h: region.h.min(sh - y) };
    if is_identity(src, region, (w, h)) {
        return Ok(src.clone());
    }
    let pt = pixel_type(src.ch);
    let view = ImageRef::new(src.w, src.h, &src.data, pt)
        .map_err(|e| RenderError::Internal(format!("resize source: {e}")))?;
    let mut dst = Image::new(w, h, pt);
    let upscaling = f64::from(w) > region.w || f64::from(h) > region.h;
    let options = ResizeOptions::new()
        .resize_alg(algorithm(mode, upscaling))
        .crop(region.x, region.y, region.w, region.h);
    Resizer::new()
        .resize(&view, &mut dst, &options)
        .map_err(|e| RenderError::Internal(format!("resize: {e}")))?;
    Ok(Raster { w, h, ch: src.ch, data: dst.into_vec() })
}
