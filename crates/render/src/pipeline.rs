//! The canonical pipeline of spec §6.2: plan, decode (shrink-on-load), layer transforms, colour
//! ops, view transform, sharpening, flattening, encode.

use crate::decode::{self, Header};
use crate::encode::{self, Carry};
use crate::error::RenderError;
use crate::limits::Limits;
use crate::meta::Dpi;
use crate::modifier::{ColorOps, Modifier, OutputFormat, ResMode, Rgba};
use crate::ops::resize::{Region, resample_owned};
use crate::ops::{color, geometry, sharpen};
use crate::plan::{self, Plan, Rotation};
use crate::raster::Raster;

/// What a source image is, read from its header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceInfo {
    /// Width as displayed, EXIF orientation applied (the space `crop=` coordinates refer to).
    pub width: u32,
    /// Height as displayed, EXIF orientation applied.
    pub height: u32,
    /// Short format name (`jpeg`, `png`, `gif`, `webp`, `tiff`).
    pub format: &'static str,
}

/// An encoded copy.
#[derive(Debug, Clone)]
pub struct Rendered {
    /// The encoded file, metadata already stripped to what the spec keeps.
    pub bytes: Vec<u8>,
    /// Output width in pixels.
    pub width: u32,
    /// Output height in pixels.
    pub height: u32,
    /// The format `bytes` are encoded in.
    pub format: OutputFormat,
}

/// Reads the format and upright dimensions of an image without decoding its pixels.
pub fn probe(source: &[u8]) -> Result<SourceInfo, RenderError> {
    let h = decode::header(source)?;
    let (width, height) = h.upright();
    Ok(SourceInfo { width, height, format: h.format.name() })
}

/// The output size `modifier` gives for an upright `width`×`height` source, with every limit
/// checked; no pixels involved, so the API can refuse a request before queueing it.
pub fn planned_size(
    modifier: &Modifier,
    width: u32,
    height: u32,
    limits: &Limits,
) -> Result<(u32, u32), RenderError> {
    limits.source((width, height))?;
    Ok(plan::build(modifier, width, height, limits)?.output)
}

/// How much reduction the resampler keeps after DCT shrink-on-load. The fast modes decode at the
/// largest block scale that still covers the target (sharp's default `fastShrinkOnLoad`); the
/// quality modes leave at least 2× to the filter, as vipsthumbnail does, because the block shrink
/// alone is a box filter and can show moiré on fine patterns.
fn shrink_margin(mode: ResMode) -> f64 {
    match mode {
        ResMode::Bilin | ResMode::Bicub => 1.0,
        ResMode::Sharp2 | ResMode::Bisharp | ResMode::Trilin => 2.0,
    }
}

/// A render checked against its source's header and planned, before any pixel is decoded.
/// Renders of one source with the same [`Prepared::decode_scale`] decode it the same way, so
/// one [`Decoded`] can serve them all: [`Prepared::finish`] gives the bytes [`render`] gives.
#[derive(Debug, Clone)]
pub struct Prepared {
    header: Header,
    plan: Plan,
    modifier: Modifier,
    shrink: u32,
}

/// A source's pixels as renders decode them (shrink-on-load applied, turned upright), with the
/// metadata a copy keeps; [`Prepared::finish`] only reads it.
#[derive(Clone)]
pub struct Decoded(decode::Decoded);

impl std::fmt::Debug for Decoded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let r = &self.0.raster;
        write!(f, "Decoded({}×{}×{})", r.w, r.h, r.ch)
    }
}

impl Decoded {
    /// Bytes of memory the pixels and the profile take.
    pub fn heap_bytes(&self) -> usize {
        self.0.raster.data.len() + self.0.icc.as_ref().map_or(0, Vec::len)
    }
}

/// Reads `source`'s header, checks the limits and plans the render through `modifier`.
pub fn prepare(source: &[u8], modifier: &Modifier, limits: &Limits) -> Result<Prepared, RenderError> {
    let header = decode::header(source)?;
    let upright = header.upright();
    limits.source(upright)?;
    if header.format == decode::SourceFormat::Gif {
        limits.frames(crate::meta::gif_frames(source).unwrap_or(1))?;
    }
    let plan = plan::build(modifier, upright.0, upright.1, limits)?;
    let shrink = Renderer::new(modifier, &plan).shrink(&header);
    Ok(Prepared { header, plan, modifier: modifier.clone(), shrink })
}

impl Prepared {
    /// The shrink-on-load divisor the decode uses (1, 2, 4 or 8): all a decode depends on
    /// besides the source's bytes.
    pub fn decode_scale(&self) -> u32 {
        self.shrink
    }

    /// About how many bytes the decoded pixels take: four channels of the shrunk size (a
    /// lossless JPEG, which libjpeg cannot shrink on load, decodes larger).
    pub fn decoded_bytes(&self) -> u64 {
        let (w, h) = self.header.stored;
        let s = u64::from(self.shrink);
        u64::from(w).div_ceil(s) * u64::from(h).div_ceil(s) * 4
    }

    /// Decodes `source`, which must be the bytes this render was prepared from.
    pub fn decode(&self, source: &[u8]) -> Result<Decoded, RenderError> {
        decode::decode(source, &self.header, self.shrink).map(Decoded)
    }

    /// Decodes `source` (the bytes this render was prepared from) and renders from it.
    pub fn render(&self, source: &[u8], limits: &Limits) -> Result<Rendered, RenderError> {
        self.complete(self.decode(source)?.0, limits)
    }

    /// Renders from `decoded`, a decode of this render's source at its [`Self::decode_scale`].
    pub fn finish(&self, decoded: &Decoded, limits: &Limits) -> Result<Rendered, RenderError> {
        self.complete(decoded.0.clone(), limits)
    }

    fn complete(&self, decoded: decode::Decoded, limits: &Limits) -> Result<Rendered, RenderError> {
        let modifier = &self.modifier;
        let r = Renderer::new(modifier, &self.plan);
        let (img, icc, dpi) = r.pixels(decoded)?;
        let img = r.finish(img);
        let icc = icc.as_deref().filter(|p| keeps_profile(modifier, &img, p));
        let carry = Carry { icc, dpi: modifier.print_res.map(Dpi).or(dpi) };
        let bytes = encode::encode(&img, modifier, &carry)?;
        if bytes.len() > limits.max_encoded_bytes {
            return Err(RenderError::LimitExceeded(format!(
                "the encoded copy is {} bytes, above the {} byte limit",
                bytes.len(),
                limits.max_encoded_bytes
            )));
        }
        Ok(Rendered { bytes, width: img.w, height: img.h, format: modifier.fmt.format })
    }
}

/// Renders `source` through `modifier`: [`prepare`], decode, finish.
pub fn render(source: &[u8], modifier: &Modifier, limits: &Limits) -> Result<Rendered, RenderError> {
    prepare(source, modifier, limits)?.render(source, limits)
}

/// Spec §7.5: the source profile is embedded when the format can hold one — but only if it
/// describes the output's colour space (a CMYK or RGB profile on gray pixels would be wrong).
fn keeps_profile(m: &Modifier, img: &Raster, profile: &[u8]) -> bool {
    if matches!(m.fmt.format, OutputFormat::Webp | OutputFormat::Gif) {
        return false;
    }
    let space = profile.get(16..20);
    if img.ch <= 2 { space == Some(b"GRAY") } else { space == Some(b"RGB ") }
}

struct Renderer<'a> {
    m: &'a Modifier,
    plan: &'a Plan,
    /// Track transparency through the layer stages; otherwise new areas are painted `bgc` at once,
    /// which gives the same pixels when nothing between them and the final flatten looks at colour.
    exact_alpha: bool,
    /// Layer 0 goes straight from crop to view size in one resample (spec §6.4).
    collapse: bool,
}

type Pixels = (Raster, Option<Vec<u8>>, Option<Dpi>);

impl<'a> Renderer<'a> {
    fn new(m: &'a Modifier, plan: &'a Plan) -> Self {
        let fills = m.opac.is_some() || m.bg_color.is_some() || m.color.is_some();
        let exact_alpha = m.fmt.alpha || fills || !m.ops.is_identity();
        let collapse = matches!(plan.rotation, Rotation::Quarter(_)) && plan.extend == [0; 4] && !fills;
        Self { m, plan, exact_alpha, collapse }
    }

    fn fill(&self) -> Rgba {
        if self.exact_alpha { Rgba::TRANSPARENT } else { self.m.bgc }
    }

    fn with_fill_channels(&self, img: Raster) -> Raster {
        if self.exact_alpha { img.with_alpha() } else { img }
    }

    /// Size of the first resample, before any quarter turn.
    fn first_target(&self) -> (u32, u32) {
        if !self.collapse {
            return match self.prescale() {
                Some(t) => (plan::scale_len(self.plan.layer.0, t), plan::scale_len(self.plan.layer.1, t)),
                None => self.plan.layer,
            };
        }
        let v = self.plan.view;
        match self.plan.rotation {
            Rotation::Quarter(q) if q % 2 == 1 => (v.1, v.0),
            _ => v,
        }
    }

    /// A free rotation resamples every pixel; when the view is much smaller than the composite,
    /// the layer is first reduced to twice the view scale so the rotation works on fewer pixels.
    /// The view resample then maps that smaller composite onto exactly the planned view size,
    /// so the output geometry is unchanged (content may shift by under half an output pixel).
    fn prescale(&self) -> Option<f64> {
        let p = self.plan;
        if !matches!(p.rotation, Rotation::Free(_)) || p.extend != [0; 4] {
            return None;
        }
        let s = (f64::from(p.view.0) / f64::from(p.composite.0))
            .max(f64::from(p.view.1) / f64::from(p.composite.1));
        let t = 2.0 * s;
        (t < 0.5).then_some(t)
    }

    fn shrink(&self, header: &Header) -> u32 {
        if header.format != decode::SourceFormat::Jpeg
            || !self.plan.crop.inside(self.plan.source.0, self.plan.source.1)
        {
            return 1;
        }
        let (tw, th) = self.first_target();
        let ratio =
            (f64::from(self.plan.crop.w) / f64::from(tw)).min(f64::from(self.plan.crop.h) / f64::from(th));
        [8, 4, 2].into_iter().find(|&d| ratio >= f64::from(d) * shrink_margin(self.m.res_mode)).unwrap_or(1)
    }

    fn pixels(&self, decoded: decode::Decoded) -> Result<Pixels, RenderError> {
        let mut img = decoded.raster;
        if img.ch == 4 && !self.exact_alpha {
            img = img.flatten(self.m.bgc);
        }
        let img = if self.collapse { self.collapsed(img)? } else { self.staged(img)? };
        Ok((img, decoded.icc, decoded.dpi))
    }

    /// The crop rectangle in the decoded image's pixels, or a materialised crop when it leaves the image.
    fn cropped(&self, img: Raster) -> (Raster, Region) {
        let (sw, sh) = self.plan.source;
        let c = self.plan.crop;
        let whole = c.x == 0 && c.y == 0 && (c.w, c.h) == (sw, sh);
        let shrunk = (img.w, img.h) != (sw, sh);
        if c.inside(sw, sh) && (whole || shrunk) {
            // Only shrink-on-load leaves a (large, fractional) crop box to the resizer.
            let (kx, ky) = (f64::from(img.w) / f64::from(sw), f64::from(img.h) / f64::from(sh));
            let region = Region {
                x: c.x as f64 * kx,
                y: c.y as f64 * ky,
                w: f64::from(c.w) * kx,
                h: f64::from(c.h) * ky,
            };
            return (img, region);
        }
        let img = if c.inside(sw, sh) { img } else { self.with_fill_channels(img) };
        let cut = geometry::crop(&img, c, self.fill());
        let region = Region { x: 0.0, y: 0.0, w: f64::from(cut.w), h: f64::from(cut.h) };
        (cut, region)
    }

    fn collapsed(&self, img: Raster) -> Result<Raster, RenderError> {
        let (img, region) = self.cropped(img);
        let p = self.plan;
        if p.rotation == Rotation::Quarter(0) && p.flip == (false, false) {
            return self.view_window(img, region);
        }
        let mut scaled = resample_owned(img, region, self.first_target(), self.m.res_mode)?;
        geometry::flip(&mut scaled, p.flip.0, p.flip.1);
        if let Rotation::Quarter(q) = p.rotation {
            scaled = geometry::rotate_quarter(scaled, q);
        }
        self.colour(&mut scaled);
        Ok(self.place(scaled, p.offset))
    }

    fn staged(&self, img: Raster) -> Result<Raster, RenderError> {
        let p = self.plan;
        let m = self.m;
        let (img, region) = self.cropped(img);
        let mut layer = resample_owned(img, region, self.first_target(), m.res_mode)?;
        if let Some(c) = m.color {
            geometry::fill_under(&mut layer, c);
        }
        geometry::flip(&mut layer, p.flip.0, p.flip.1);
        layer = match p.rotation {
            Rotation::Quarter(q) => geometry::rotate_quarter(layer, q),
            Rotation::Free(deg) => {
                let bounds = if self.prescale().is_some() {
                    plan::rotated_box((layer.w, layer.h), deg)
                } else {
                    p.rotated
                };
                let turned = geometry::rotate_free(&layer.with_alpha(), deg, bounds);
                if self.exact_alpha { turned } else { turned.flatten(m.bgc) }
            }
        };
        if p.extend != [0; 4] {
            layer = geometry::extend(&self.with_fill_channels(layer), p.extend, self.fill());
        }
        if let Some((o, fill)) = m.opac {
            layer = layer.with_alpha();
            let k = u32::from(o) * u32::from(fill);
            for px in layer.data.chunks_exact_mut(4) {
                px[3] = ((u32::from(px[3]) * k + 5000) / 10_000) as u8;
            }
        }
        if let Some(c) = m.bg_color {
            geometry::fill_under(&mut layer, c);
        }
        let whole = Region { x: 0.0, y: 0.0, w: f64::from(layer.w), h: f64::from(layer.h) };
        self.view_window(layer, whole)
    }

    /// Scales to the view size and places the result in the output (padding or cropping it).
    /// The whole view is resampled and then cut, rather than only the visible window: the
    /// resizer's sub-pixel crop boxes read out of bounds on small upscales (found by the
    /// property test), and the intermediate limits already bound the view's size.
    fn view_window(&self, img: Raster, region: Region) -> Result<Raster, RenderError> {
        let mut scaled = resample_owned(img, region, self.plan.view, self.m.res_mode)?;
        self.colour(&mut scaled);
        Ok(self.place(scaled, self.plan.offset))
    }

    /// Step 9's colour ops, run on the view-scaled image instead of the composite (spec §6.4
    /// allows it: per-pixel ops commute with resampling within rounding, and a 24 MP source
    /// costs seconds otherwise). The blur radius is in composite pixels, so it is scaled too.
    /// View padding is added afterwards, so the ops never touch it.
    fn colour(&self, img: &mut Raster) {
        if self.m.ops.is_identity() {
            return;
        }
        let p = self.plan;
        let sx = f64::from(p.view.0) / f64::from(p.composite.0);
        let sy = f64::from(p.view.1) / f64::from(p.composite.1);
        let ops = ColorOps { blur: self.m.ops.blur * (sx + sy) / 2.0, ..self.m.ops };
        color::apply(img, &ops);
    }

    fn pad(&self) -> Rgba {
        if self.m.fmt.alpha { Rgba::TRANSPARENT } else { self.m.bgc }
    }

    fn canvas_channels(&self, ch: usize) -> usize {
        if self.m.fmt.alpha { 4 } else { ch }
    }

    /// Puts `img` at `at` on an output-sized canvas of view padding.
    fn place(&self, img: Raster, at: (i64, i64)) -> Raster {
        let out = self.plan.output;
        if at == (0, 0) && (img.w, img.h) == out {
            return img;
        }
        let ch = self.canvas_channels(img.ch);
        let img = if img.ch == ch { img } else { img.with_alpha() };
        let mut canvas = Raster::filled(out.0, out.1, ch, self.pad());
        geometry::blit(&mut canvas, &img, at.0, at.1);
        canvas
    }

    /// Steps 11–12: sharpening on the final view, then alpha and pixel type for the format.
    fn finish(&self, mut img: Raster) -> Raster {
        let m = self.m;
        if m.sharpen {
            sharpen::sharpen(&mut img);
        }
        for usm in [m.usm, m.usm_r].into_iter().flatten() {
            sharpen::unsharp(&mut img, usm);
        }
        img = if m.fmt.alpha { img.with_alpha() } else { img.flatten(m.bgc) };
        if m.fmt.gray { img.into_gray() } else { img }
    }
}
