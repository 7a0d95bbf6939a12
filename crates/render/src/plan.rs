//! The geometry of a render (spec §5 and §6.2), computed from the header alone so that every size
//! limit is checked before a single pixel is decoded.

use crate::error::RenderError;
use crate::limits::Limits;
use crate::modifier::{CropSpec, ExtendSpec, FitMode, Modifier};

/// A rectangle in pixels; `x`/`y` may be negative or past the image (the outside is transparent).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Rect {
    pub x: i64,
    pub y: i64,
    pub w: u32,
    pub h: u32,
}

impl Rect {
    /// Whether the rectangle lies entirely inside a `w`×`h` image.
    pub fn inside(&self, w: u32, h: u32) -> bool {
        self.x >= 0
            && self.y >= 0
            && self.x + i64::from(self.w) <= i64::from(w)
            && self.y + i64::from(self.h) <= i64::from(h)
    }
}

/// Layer rotation: exact quarter turns clockwise, or any other angle in degrees.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Rotation {
    Quarter(u8),
    Free(f64),
}

/// Every size and position of one render, from the upright source to the output.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Plan {
    /// The source as displayed (EXIF orientation applied).
    pub source: (u32, u32),
    pub crop: Rect,
    /// Size after `size`/`scale` (layer-0 scaling).
    pub layer: (u32, u32),
    pub flip: (bool, bool),
    pub rotation: Rotation,
    pub rotated: (u32, u32),
    /// Resolved `extend` margins (left, top, right, bottom) in pixels.
    pub extend: [i64; 4],
    /// The composite: layer 0 after every layer transform.
    pub composite: (u32, u32),
    /// The composite after view scaling.
    pub view: (u32, u32),
    /// Where the view-scaled image sits in the output (may be negative: cropped).
    pub offset: (i64, i64),
    pub output: (u32, u32),
}

pub(crate) fn round_half_up(v: f64) -> i64 {
    (v + 0.5).floor() as i64
}

fn scaled(len: u32, s: f64) -> u32 {
    round_half_up(f64::from(len) * s).clamp(1, i64::from(u32::MAX)) as u32
}

/// Builds the plan for a source displayed as `width`×`height` and checks every limit of spec §7.3.
pub(crate) fn build(m: &Modifier, width: u32, height: u32, limits: &Limits) -> Result<Plan, RenderError> {
    let crop = match m.crop {
        None => Rect { x: 0, y: 0, w: width, h: height },
        Some(CropSpec::Pixels { x, y, w, h }) => Rect { x, y, w: clamp_u32(w), h: clamp_u32(h) },
        Some(CropSpec::Normalized { x, y, w, h }) => {
            let (fw, fh) = (f64::from(width), f64::from(height));
            Rect {
                x: round_half_up(x * fw),
                y: round_half_up(y * fh),
                w: clamp_u32(round_half_up(w * fw).max(1)),
                h: clamp_u32(round_half_up(h * fh).max(1)),
            }
        }
    };
    let crop_cmd = if matches!(m.crop, Some(CropSpec::Normalized { .. })) { "cropN" } else { "crop" };
    limits.intermediate(crop_cmd, (crop.w, crop.h))?;

    let layer = layer_scale(m, (crop.w, crop.h));
    limits.intermediate(if m.size.is_some() { "size" } else { "scale" }, layer)?;

    let rotation = rotation(m.rotate);
    let rotated = match rotation {
        Rotation::Quarter(q) if q % 2 == 1 => (layer.1, layer.0),
        Rotation::Quarter(_) => layer,
        Rotation::Free(deg) => rotated_box(layer, deg),
    };
    limits.intermediate("rotate", rotated)?;

    let extend = match m.extend {
        None => [0; 4],
        Some(ExtendSpec::Pixels(v)) => v,
        Some(ExtendSpec::Normalized([l, t, r, b])) => {
            let (w, h) = (f64::from(rotated.0), f64::from(rotated.1));
            [round_half_up(l * w), round_half_up(t * h), round_half_up(r * w), round_half_up(b * h)]
        }
    };
    let cw = i64::from(rotated.0) + extend[0] + extend[2];
    let ch = i64::from(rotated.1) + extend[1] + extend[3];
    let extend_cmd = if matches!(m.extend, Some(ExtendSpec::Normalized(_))) { "extendN" } else { "extend" };
    if cw < 1 || ch < 1 {
        return Err(RenderError::LimitExceeded(format!(
            "{extend_cmd}: the result would be {cw}×{ch}; it must be at least 1×1"
        )));
    }
    let composite = (clamp_u32(cw), clamp_u32(ch));
    limits.intermediate(extend_cmd, composite)?;

    let view = view_transform(m, composite, limits);
    let view_cmd = view_command(m);
    let (mut offset, mut output) = (view.offset, view.canvas);
    if let Some([x, y, w, h]) = m.rect {
        offset = (offset.0 - x, offset.1 - y);
        output = (clamp_u32(w), clamp_u32(h));
    }
    limits.output(if m.rect.is_some() { "rect" } else { view_cmd }, output)?;
    limits.intermediate(view_cmd, view.scaled)?;

    Ok(Plan {
        source: (width, height),
        crop,
        layer,
        flip: m.flip,
        rotation,
        rotated,
        extend,
        composite,
        view: view.scaled,
        offset,
        output,
    })
}

/// The bounding box of a `w`×`h` rectangle turned by `deg` (nothing is cut off).
pub(crate) fn rotated_box((w, h): (u32, u32), deg: f64) -> (u32, u32) {
    let (s, c) = deg.to_radians().sin_cos();
    let (w, h) = (f64::from(w), f64::from(h));
    let bw = round_half_up(w * c.abs() + h * s.abs()).max(1);
    let bh = round_half_up(w * s.abs() + h * c.abs()).max(1);
    (clamp_u32(bw), clamp_u32(bh))
}

/// `len`×`s`, rounded half up, at least 1.
pub(crate) fn scale_len(len: u32, s: f64) -> u32 {
    scaled(len, s)
}

fn clamp_u32(v: i64) -> u32 {
    v.clamp(0, i64::from(u32::MAX)) as u32
}

fn rotation(deg: f64) -> Rotation {
    let a = deg.rem_euclid(360.0);
    if a % 90.0 == 0.0 { Rotation::Quarter((a / 90.0) as u8 % 4) } else { Rotation::Free(a) }
}

/// Layer-0 scaling: `size` wins over `scale` (spec §3.2).
fn layer_scale(m: &Modifier, (w, h): (u32, u32)) -> (u32, u32) {
    let (fw, fh) = (f64::from(w), f64::from(h));
    match m.size {
        Some((sw, 0)) => (sw, scaled(h, f64::from(sw) / fw)),
        Some((0, sh)) => (scaled(w, f64::from(sh) / fh), sh),
        Some((sw, sh)) => {
            let (sx, sy) = (f64::from(sw) / fw, f64::from(sh) / fh);
            if sx <= sy { (sw, scaled(h, sx)) } else { (scaled(w, sy), sh) }
        }
        None => match m.scale {
            Some(f) if f != 1.0 => (scaled(w, f), scaled(h, f)),
            _ => (w, h),
        },
    }
}

fn view_command(m: &Modifier) -> &'static str {
    if m.scl.is_some() {
        "scl"
    } else if m.wid.is_some() {
        "wid"
    } else if m.hei.is_some() {
        "hei"
    } else {
        "urlModifier"
    }
}

struct View {
    scaled: (u32, u32),
    offset: (i64, i64),
    canvas: (u32, u32),
}

/// Which axis fixed a scale factor, so that axis lands exactly on its target (spec §5 rounding).
#[derive(Clone, Copy)]
enum Fixed {
    X(u32),
    Y(u32),
    Neither,
}

fn apply_scale((w, h): (u32, u32), s: f64, fixed: Fixed) -> (u32, u32) {
    match fixed {
        Fixed::X(t) => (t, scaled(h, s)),
        Fixed::Y(t) => (scaled(w, s), t),
        Fixed::Neither => (scaled(w, s), scaled(h, s)),
    }
}

/// Offset of an image of length `image` in a view of length `view` (spec §5 placement).
pub(crate) fn place(view: u32, image: u32, align: f64) -> i64 {
    let d = i64::from(view) - i64::from(image);
    let magnitude = (d.unsigned_abs() as f64 * (1.0 + align) / 2.0).floor() as i64;
    d.signum() * magnitude
}

fn requested(m: &Modifier, limits: &Limits) -> (Option<u32>, Option<u32>) {
    let (w, h) = (m.wid, m.hei);
    let Some(v) = m.dpr else { return (w, h) };
    let mul = |x: u32| clamp_u32(round_half_up(f64::from(x) * v).max(1));
    let (mut w, mut h) = (w.map(mul), h.map(mul));
    // Spec §3.1 dpr: an oversized result is scaled back within the limits, not refused.
    let max = f64::from(limits.max_output_side);
    let mut over = w.into_iter().chain(h).map(|x| f64::from(x) / max).fold(1.0, f64::max);
    if let (Some(w), Some(h)) = (w, h) {
        let pixels = f64::from(w) * f64::from(h) / limits.max_output_pixels as f64;
        over = over.max(pixels.sqrt());
    }
    if over > 1.0 {
        w = w.map(|x| clamp_u32((f64::from(x) / over).floor() as i64).max(1));
        h = h.map(|x| clamp_u32((f64::from(x) / over).floor() as i64).max(1));
    }
    (w, h)
}

fn view_transform(m: &Modifier, (w, h): (u32, u32), limits: &Limits) -> View {
    let (req_w, req_h) = requested(m, limits);
    let (fw, fh) = (f64::from(w), f64::from(h));
    let (ah, av) = m.align;
    let framed = |scaled: (u32, u32), canvas: (u32, u32), align: (f64, f64)| View {
        scaled,
        offset: (place(canvas.0, scaled.0, align.0), place(canvas.1, scaled.1, align.1)),
        canvas,
    };
    if let Some(r) = m.scl {
        let scaled = if r == 1.0 { (w, h) } else { apply_scale((w, h), 1.0 / r, Fixed::Neither) };
        return framed(scaled, (req_w.unwrap_or(scaled.0), req_h.unwrap_or(scaled.1)), (ah, av));
    }
    let (tw, th) = match (req_w, req_h) {
        (None, None) => return framed((w, h), (w, h), (0.0, 0.0)),
        (Some(tw), None) => {
            let capped = m.fit.is_some_and(|(_, up)| !up) && f64::from(tw) > fw;
            let s = if capped { (w, h) } else { apply_scale((w, h), f64::from(tw) / fw, Fixed::X(tw)) };
            return framed(s, s, (0.0, 0.0));
        }
        (None, Some(th)) => {
            let capped = m.fit.is_some_and(|(_, up)| !up) && f64::from(th) > fh;
            let s = if capped { (w, h) } else { apply_scale((w, h), f64::from(th) / fh, Fixed::Y(th)) };
            return framed(s, s, (0.0, 0.0));
        }
        (Some(tw), Some(th)) => (tw, th),
    };
    let (sx, sy) = (f64::from(tw) / fw, f64::from(th) / fh);
    let (mode, upscale) = m.fit.unwrap_or((FitMode::Fit, true));
    let cap = |s: f64, fixed: Fixed| if !upscale && s > 1.0 { (1.0, Fixed::Neither) } else { (s, fixed) };
    let by_min = || if sx <= sy { cap(sx, Fixed::X(tw)) } else { cap(sy, Fixed::Y(th)) };
    let by_max = || if sx >= sy { cap(sx, Fixed::X(tw)) } else { cap(sy, Fixed::Y(th)) };
    let canvas = (tw, th);
    match mode {
        FitMode::Fit => {
            let (s, f) = by_min();
            framed(apply_scale((w, h), s, f), canvas, (ah, av))
        }
        FitMode::Constrain => {
            let (s, f) = by_min();
            let scaled = apply_scale((w, h), s, f);
            framed(scaled, scaled, (0.0, 0.0))
        }
        FitMode::Crop => {
            let (s, f) = by_max();
            framed(apply_scale((w, h), s, f), canvas, (ah, av))
        }
        FitMode::Wrap => {
            let (s, f) = by_max();
            let scaled = apply_scale((w, h), s, f);
            framed(scaled, scaled, (0.0, 0.0))
        }
        FitMode::Stretch => {
            let x = if !upscale && sx > 1.0 { w } else { tw };
            let y = if !upscale && sy > 1.0 { h } else { th };
            framed((x, y), canvas, (0.0, 0.0))
        }
        FitMode::Hfit => {
            let (s, f) = cap(sx, Fixed::X(tw));
            framed(apply_scale((w, h), s, f), canvas, (ah, av))
        }
        FitMode::Vfit => {
            let (s, f) = cap(sy, Fixed::Y(th));
            framed(apply_scale((w, h), s, f), canvas, (ah, av))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn centred_padding_puts_the_odd_pixel_after_the_image() {
        assert_eq!(place(500, 375, 0.0), 62);
        assert_eq!(place(500, 375, -1.0), 0);
        assert_eq!(place(500, 375, 1.0), 125);
        assert_eq!(place(500, 667, 0.0), -83);
        assert_eq!(place(500, 667, 1.0), -167);
    }

    fn plan_for(modifier: &str, w: u32, h: u32) -> Plan {
        build(&crate::parse(modifier).unwrap(), w, h, &Limits::default()).unwrap()
    }

    #[test]
    fn stretch_without_upscale_caps_each_axis_and_pads_centred() {
        let p = plan_for("wid=300&hei=100&fit=stretch,0", 200, 150);
        assert_eq!((p.view, p.output, p.offset), ((200, 100), (300, 100), (50, 0)));
    }

    #[test]
    fn wrap_without_upscale_keeps_a_small_source() {
        let p = plan_for("wid=800&hei=800&fit=wrap", 400, 300);
        assert_eq!((p.view, p.output), ((400, 300), (400, 300)));
    }

    #[test]
    fn hfit_crops_top_and_bottom_when_the_width_scale_overflows() {
        let p = plan_for("wid=400&hei=200&fit=hfit", 2000, 1500);
        assert_eq!((p.view, p.output, p.offset), ((400, 300), (400, 200), (0, -50)));
    }

    #[test]
    fn fit_with_one_dimension_and_no_upscale_keeps_a_small_source() {
        let p = plan_for("wid=800&fit=constrain", 400, 300);
        assert_eq!(p.output, (400, 300));
        assert_eq!(plan_for("wid=800&fit=constrain,1", 400, 300).output, (800, 600));
    }

    #[test]
    fn an_oversized_dpr_is_scaled_back_within_the_limits_keeping_the_aspect() {
        let p = plan_for("dpr=on,10&wid=2000&hei=1000", 2000, 1000);
        assert_eq!(p.output, (14142, 7071));
        assert_eq!(plan_for("dpr=on,10&wid=2000", 2000, 200).output, (16383, 1638));
    }

    #[test]
    fn layer_transforms_chain_crop_scale_rotate_and_extend() {
        let p = plan_for("crop=0,0,1000,500&scale=0.5&rotate=90&extend=1,2,3,4", 2000, 1500);
        assert_eq!((p.crop.w, p.crop.h), (1000, 500));
        assert_eq!(p.layer, (500, 250));
        assert_eq!(p.rotated, (250, 500));
        assert_eq!(p.composite, (254, 506));
    }

    #[test]
    fn an_extend_that_removes_everything_is_refused() {
        let e = build(&crate::parse("extend=-1000,0,-1000,0").unwrap(), 2000, 1500, &Limits::default())
            .unwrap_err();
        assert!(e.to_string().starts_with("extend: the result would be 0×1500"), "{e}");
    }

    #[test]
    fn an_oversized_intermediate_names_the_command_that_made_it() {
        let e =
            build(&crate::parse("scale=40&wid=100").unwrap(), 2000, 1500, &Limits::default()).unwrap_err();
        assert!(e.to_string().starts_with("scale: intermediate image 80000×60000"), "{e}");
    }

    #[test]
    fn rotation_angles_normalise_to_quarter_turns_or_free_angles() {
        assert_eq!(rotation(-90.0), Rotation::Quarter(3));
        assert_eq!(rotation(450.0), Rotation::Quarter(1));
        assert_eq!(rotation(45.0), Rotation::Free(45.0));
    }
}
