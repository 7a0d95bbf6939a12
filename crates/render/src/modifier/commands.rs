//! One arm per Image Serving command: syntax and range checks of spec §3 and §7.1.

use super::color::ColorKind;
use super::format::parse_fmt;
use super::values::Args;
use super::{Colorize, CropSpec, ExtendSpec, FitMode, Modifier, Noise, Quantize, ResMode, Usm, parse_color};
use crate::error::ModifierError;

/// Commands of spec §3.6 that need more than one image, a catalog or text.
const MULTI_LAYER: &[&str] = &[
    "src",
    "mask",
    "maskuse",
    "effect",
    "blendmode",
    "text",
    "textattr",
    "textps",
    "textflowpath",
    "textflowxpath",
    "textpath",
    "clippath",
    "clipxpath",
    "perspective",
    "hide",
    "map",
    "imageset",
    "defaultimage",
    "locale",
    "bfc",
    "network",
    "template",
    "rgn",
    "res",
    "icc",
    "pathembed",
    "op_grow",
    "op_growmask",
];

/// Commands that have no visible effect on a single-image copy (tier I).
const IGNORED: &[&str] = &["cache", "id", "pos", "posn", "anchor", "anchorn", "origin", "originn"];

pub(crate) fn apply(m: &mut Modifier, name: &str, value: Option<&str>) -> Result<(), ModifierError> {
    if IGNORED.contains(&name) {
        return Ok(());
    }
    if MULTI_LAYER.contains(&name) {
        return Err(ModifierError::new(name, "not supported by copyImage"));
    }
    if name == "sizen" {
        return Err(ModifierError::new(name, "not allowed for layer 0 (copyImage has only layer 0)"));
    }
    if !KNOWN.contains(&name) {
        return Err(ModifierError::new(name, format!("unknown command {name:?}")));
    }
    let value = value.ok_or_else(|| ModifierError::new(name, "a value is required"))?;
    if value.trim().is_empty() {
        return Err(ModifierError::new(name, "a value is required"));
    }
    let a = Args::new(name, value);
    match name {
        "wid" => m.wid = Some(positive(&a, "wid")?),
        "hei" => m.hei = Some(positive(&a, "hei")?),
        "scl" => m.scl = Some(positive_real(&a)?),
        "fit" => m.fit = Some(fit(&a)?),
        "align" => {
            a.count(2, 2, "h,v")?;
            m.align = (a.real_in(0, "h", -1.0, 1.0)?, a.real_in(1, "v", -1.0, 1.0)?);
        }
        "bgc" => m.bgc = color(&a)?.0.opaque(),
        "rect" => m.rect = Some(rect(&a)?),
        "dpr" => m.dpr = dpr(&a)?,
        "crop" => m.crop = Some(crop(&a)?),
        "cropn" => m.crop = Some(crop_n(&a)?),
        "size" => m.size = size(&a)?,
        "scale" => m.scale = Some(positive_real(&a)?),
        "flip" => m.flip = flip(&a)?,
        "rotate" => {
            a.count(1, 1, "an angle in degrees")?;
            m.rotate = a.real(0, "angle").map_err(|_| a.err("not a number"))?;
        }
        "extend" => {
            a.count(4, 4, "l,t,r,b")?;
            let v = [a.int(0, "l")?, a.int(1, "t")?, a.int(2, "r")?, a.int(3, "b")?];
            m.extend = Some(ExtendSpec::Pixels(v));
        }
        "extendn" => {
            a.count(4, 4, "l,t,r,b")?;
            let v = [a.real(0, "l")?, a.real(1, "t")?, a.real(2, "r")?, a.real(3, "b")?];
            m.extend = Some(ExtendSpec::Normalized(v));
        }
        "color" => m.color = Some(color(&a)?.0),
        "bgcolor" => m.bg_color = Some(color(&a)?.0),
        "opac" => {
            a.count(1, 2, "opacity[,fillOpacity]")?;
            let o = a.int_in(0, "opacity", 0, 100)? as u8;
            let fill = if a.opt(1).is_some() { a.int_in(1, "fillOpacity", 0, 100)? as u8 } else { 100 };
            m.opac = Some((o, fill));
        }
        "layer" => {
            a.count(1, 1, "0 or comp")?;
            if !(a.parts[0] == "0" || a.parts[0].eq_ignore_ascii_case("comp")) {
                return Err(a.err("multi-layer requests not supported (only layer=0 or layer=comp)"));
            }
        }
        "resmode" => m.res_mode = res_mode(&a)?,
        "op_sharpen" => m.sharpen = single_bool(&a)?,
        "op_usm" => m.usm = usm(&a)?,
        "op_usmr" => m.usm_r = usm(&a)?,
        "op_blur" => m.ops.blur = single(&a)?.real_in(0, "radius", 0.0, 100.0)?,
        "op_brightness" => m.ops.brightness = single(&a)?.int_in(0, "brightness", -100, 100)?,
        "op_contrast" => m.ops.contrast = single(&a)?.int_in(0, "contrast", -100, 100)?,
        "op_saturation" => m.ops.saturation = single(&a)?.int_in(0, "saturation", -100, 100)?,
        "op_hue" => m.ops.hue = single(&a)?.int_in(0, "hue", -180, 180)?,
        "op_invert" => m.ops.invert = single_bool(&a)?,
        "op_colorbalance" => {
            a.count(3, 3, "r,g,b")?;
            m.ops.colorbalance =
                [a.int_in(0, "r", -100, 100)?, a.int_in(1, "g", -100, 100)?, a.int_in(2, "b", -100, 100)?];
        }
        "op_colorize" => m.ops.colorize = Some(colorize(&a)?),
        "op_noise" => m.ops.noise = Some(noise(&a)?),
        "fmt" => m.fmt = parse_fmt(&a)?,
        "qlt" => {
            a.count(1, 2, "quality[,chroma]")?;
            let q = a.int(0, "quality")?;
            if !(1..=100).contains(&q) {
                return Err(a.err(format!("quality must be 1..100, got {q}")));
            }
            m.quality = q as u8;
            m.chroma_full = if a.opt(1).is_some() { a.bool01(1, "chroma")? } else { false };
        }
        "quantize" => m.quantize = quantize(&a)?,
        "pscan" => {
            a.count(1, 1, "auto, 3, 4 or 5")?;
            m.pscan = match a.parts[0].to_ascii_lowercase().as_str() {
                "auto" => None,
                "3" => Some(3),
                "4" => Some(4),
                "5" => Some(5),
                other => return Err(a.err(format!("must be auto, 3, 4 or 5, got {other:?}"))),
            };
        }
        "iccembed" => m.icc_embed = single_bool(&a)?,
        "printres" => {
            let dpi = single(&a)?.real(0, "dpi")?;
            if dpi <= 0.0 || dpi > 65535.0 {
                return Err(a.err(format!("dpi must be > 0 and at most 65535, got {dpi}")));
            }
            m.print_res = Some(dpi);
        }
        "xmpembed" => {
            if single_bool(&a)? {
                return Err(a.err("embedding the source XMP is not supported yet (xmpEmbed=0 only)"));
            }
        }
        "jpegsize" => m.jpeg_size = single(&a)?.int_in(0, "kb", 0, 1 << 20)? as u32,
        "req" => {
            if !a.parts[0].eq_ignore_ascii_case("img") {
                return Err(a.err(format!("only img is supported by copyImage, got {:?}", a.raw)));
            }
        }
        _ => unreachable!("every KNOWN command has an arm"),
    }
    Ok(())
}

const KNOWN: &[&str] = &[
    "wid",
    "hei",
    "scl",
    "fit",
    "align",
    "bgc",
    "rect",
    "dpr",
    "crop",
    "cropn",
    "size",
    "scale",
    "flip",
    "rotate",
    "extend",
    "extendn",
    "color",
    "bgcolor",
    "opac",
    "layer",
    "resmode",
    "op_sharpen",
    "op_usm",
    "op_usmr",
    "op_blur",
    "op_brightness",
    "op_contrast",
    "op_saturation",
    "op_hue",
    "op_invert",
    "op_colorbalance",
    "op_colorize",
    "op_noise",
    "fmt",
    "qlt",
    "quantize",
    "pscan",
    "iccembed",
    "printres",
    "jpegsize",
    "xmpembed",
    "req",
];

fn single<'a, 'b>(a: &'b Args<'a>) -> Result<&'b Args<'a>, ModifierError> {
    a.count(1, 1, "a single value")?;
    Ok(a)
}

fn single_bool(a: &Args) -> Result<bool, ModifierError> {
    single(a)?.bool01(0, "value")
}

fn positive(a: &Args, name: &str) -> Result<u32, ModifierError> {
    a.count(1, 1, "a single integer")?;
    let v = a
        .int(0, name)
        .map_err(|e| if e.reason.contains("not a number") { a.err("must be an integer > 0") } else { e })?;
    if v <= 0 || v > i64::from(u32::MAX) {
        return Err(a.err(format!("must be an integer > 0, got {v}")));
    }
    Ok(v as u32)
}

fn positive_real(a: &Args) -> Result<f64, ModifierError> {
    a.count(1, 1, "a single number")?;
    let v = a.real(0, "value").map_err(|_| a.err(format!("not a number: {:?}", a.raw)))?;
    if v <= 0.0 {
        return Err(a.err(format!("must be > 0, got {v}")));
    }
    Ok(v)
}

fn color(a: &Args) -> Result<(super::Rgba, ColorKind), ModifierError> {
    parse_color(a.raw)
        .ok_or_else(|| a.err(format!("invalid colour {:?} (see the colour forms: RRGGBB, r,g,b, …)", a.raw)))
}

fn fit(a: &Args) -> Result<(FitMode, bool), ModifierError> {
    a.count(1, 2, "mode[,upscale]")?;
    let mode = match a.parts[0].to_ascii_lowercase().as_str() {
        "fit" => FitMode::Fit,
        "constrain" => FitMode::Constrain,
        "crop" => FitMode::Crop,
        "wrap" => FitMode::Wrap,
        "stretch" => FitMode::Stretch,
        "hfit" => FitMode::Hfit,
        "vfit" => FitMode::Vfit,
        other => {
            return Err(
                a.err(format!("unknown mode {other:?} (fit, constrain, crop, wrap, stretch, hfit, vfit)"))
            );
        }
    };
    let upscale = if a.opt(1).is_some() { a.bool01(1, "upscale")? } else { false };
    Ok((mode, upscale))
}

fn rect(a: &Args) -> Result<[i64; 4], ModifierError> {
    a.count(4, 5, "x,y,w,h[,scale]")?;
    let r = [a.int(0, "x")?, a.int(1, "y")?, a.int(2, "w")?, a.int(3, "h")?];
    if r[2] <= 0 || r[3] <= 0 {
        return Err(a.err("width and height must be > 0"));
    }
    if a.opt(4).is_some() && a.real(4, "scale")? != 1.0 {
        return Err(a.err("the scale argument is not supported yet (only 1)"));
    }
    Ok(r)
}

fn dpr(a: &Args) -> Result<Option<f64>, ModifierError> {
    a.count(1, 2, "off or on,value")?;
    match a.parts[0].to_ascii_lowercase().as_str() {
        "off" => Ok(None),
        "on" => {
            let v = if a.opt(1).is_some() { a.real(1, "value")? } else { 1.0 };
            if v <= 0.0 || v > 100.0 {
                return Err(a.err(format!("value must be > 0 and at most 100, got {v}")));
            }
            Ok(Some(v))
        }
        other => Err(a.err(format!("must be off or on,value, got {other:?}"))),
    }
}

fn crop(a: &Args) -> Result<CropSpec, ModifierError> {
    a.count(4, 4, "x,y,w,h")?;
    let (x, y, w, h) = (a.int(0, "x")?, a.int(1, "y")?, a.int(2, "w")?, a.int(3, "h")?);
    if w <= 0 || h <= 0 {
        return Err(a.err("width and height must be > 0"));
    }
    Ok(CropSpec::Pixels { x, y, w, h })
}

fn crop_n(a: &Args) -> Result<CropSpec, ModifierError> {
    a.count(4, 4, "x,y,w,h")?;
    let (x, y, w, h) = (a.real(0, "x")?, a.real(1, "y")?, a.real(2, "w")?, a.real(3, "h")?);
    if w <= 0.0 || h <= 0.0 {
        return Err(a.err("width and height must be > 0"));
    }
    if [x, y, w, h].iter().any(|v| v.abs() > 100.0) {
        return Err(a.err("values must be within -100..100"));
    }
    Ok(CropSpec::Normalized { x, y, w, h })
}

fn size(a: &Args) -> Result<Option<(u32, u32)>, ModifierError> {
    a.count(2, 2, "w,h")?;
    let w = a.int_in(0, "w", 0, i64::from(u32::MAX))? as u32;
    let h = a.int_in(1, "h", 0, i64::from(u32::MAX))? as u32;
    Ok(if w == 0 && h == 0 { None } else { Some((w, h)) })
}

fn flip(a: &Args) -> Result<(bool, bool), ModifierError> {
    a.count(1, 1, "lr, ud or lrud")?;
    match a.parts[0].to_ascii_lowercase().as_str() {
        "lr" => Ok((true, false)),
        "ud" => Ok((false, true)),
        "lrud" => Ok((true, true)),
        other => Err(a.err(format!("must be lr, ud or lrud, got {other:?}"))),
    }
}

fn res_mode(a: &Args) -> Result<ResMode, ModifierError> {
    a.count(1, 1, "bilin, bicub, sharp2, bisharp, sharp or trilin")?;
    Ok(match a.parts[0].to_ascii_lowercase().as_str() {
        "bilin" => ResMode::Bilin,
        "bicub" => ResMode::Bicub,
        "sharp2" | "sharp" => ResMode::Sharp2,
        "bisharp" => ResMode::Bisharp,
        "trilin" => ResMode::Trilin,
        other => return Err(a.err(format!("unknown mode {other:?} (bilin, bicub, sharp2, bisharp, trilin)"))),
    })
}

fn usm(a: &Args) -> Result<Option<Usm>, ModifierError> {
    a.count(1, 4, "amount[,radius[,threshold[,monochrome]]]")?;
    let amount = a.real_in(0, "amount", 0.0, 5.0)?;
    let radius = if a.opt(1).is_some() { a.real_in(1, "radius", 0.0, 250.0)? } else { 0.0 };
    let threshold = if a.opt(2).is_some() { a.int_in(2, "threshold", 0, 255)? as u8 } else { 0 };
    let monochrome = if a.opt(3).is_some() { a.bool01(3, "monochrome")? } else { false };
    Ok((amount > 0.0 && radius > 0.0).then_some(Usm { amount, radius, threshold, monochrome }))
}

fn colorize(a: &Args) -> Result<Colorize, ModifierError> {
    // The colour itself may contain commas (`r,g,b`), so the keyword is found from the end.
    let parts = &a.parts;
    let kw = parts.iter().rposition(|p| p.eq_ignore_ascii_case("norm") || p.eq_ignore_ascii_case("off"));
    let (color_end, normalize, contrast) = match kw {
        Some(i) => {
            let normalize = parts[i].eq_ignore_ascii_case("norm");
            let contrast = match parts.get(i + 1) {
                Some(_) if parts.len() > i + 2 => return Err(a.err("too many values")),
                Some(_) => a.real_in(i + 1, "contrast", 0.0, 100.0)?,
                None => 0.0,
            };
            (i, normalize, contrast)
        }
        None => (parts.len(), true, 0.0),
    };
    let color_text = parts[..color_end].join(",");
    match parse_color(&color_text) {
        Some((c, ColorKind::Rgb)) => Ok(Colorize { color: c.opaque(), normalize, contrast }),
        Some(_) => Err(a.err("the colour must be an RGB colour")),
        None => Err(a.err(format!("invalid colour {color_text:?}"))),
    }
}

fn noise(a: &Args) -> Result<Noise, ModifierError> {
    a.count(1, 3, "value[,uniform|gaussian[,monochrome]]")?;
    let amount = a.int_in(0, "value", 0, 100)? as u8;
    let gaussian = match a.opt(1).map(str::to_ascii_lowercase).as_deref() {
        None | Some("uniform") => false,
        Some("gaussian") => true,
        Some(other) => return Err(a.err(format!("unknown distribution {other:?} (uniform or gaussian)"))),
    };
    let monochrome = if a.opt(2).is_some() { a.bool01(2, "monochrome")? } else { false };
    Ok(Noise { amount, gaussian, monochrome })
}

fn quantize(a: &Args) -> Result<Quantize, ModifierError> {
    let web = match a.parts[0].to_ascii_lowercase().as_str() {
        "adaptive" => false,
        "web" => true,
        "mac" => return Err(a.err("the mac palette is not supported")),
        other => return Err(a.err(format!("unknown type {other:?} (adaptive or web)"))),
    };
    let dither = match a.opt(1).map(str::to_ascii_lowercase).as_deref() {
        None | Some("diffuse") => true,
        Some("off") => false,
        Some(other) => return Err(a.err(format!("unknown dither {other:?} (diffuse or off)"))),
    };
    let colors = if a.opt(2).is_some() {
        let n = a.int(2, "numColors")?;
        if !(2..=256).contains(&n) {
            return Err(a.err(format!("numColors must be 2..256, got {n}")));
        }
        n as u16
    } else {
        256
    };
    let mut forced = Vec::new();
    for c in a.parts.iter().skip(3) {
        let ok = c.len() == 6 && c.bytes().all(|b| b.is_ascii_hexdigit());
        if !ok {
            return Err(a.err(format!("colorList entries must be RRGGBB, got {c:?}")));
        }
        let v = u32::from_str_radix(c, 16).unwrap_or(0);
        forced.push([(v >> 16) as u8, (v >> 8) as u8, v as u8]);
    }
    if forced.len() > usize::from(colors) {
        return Err(a.err("more forced colours than numColors"));
    }
    Ok(Quantize { web, dither, colors, forced })
}
