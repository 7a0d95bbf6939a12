//! The `urlModifier` grammar (spec §1.2) and the validated command set it yields.

mod color;
mod commands;
mod format;
mod values;

pub use color::Rgba;
pub use format::OutputFormat;

pub(crate) use color::parse_color;
pub(crate) use format::{Compression, Format};

use crate::error::ModifierError;

const MAX_LEN: usize = 8 * 1024;
const MAX_COMMANDS: usize = 64;

/// How `fit` chooses the view scale (spec §5, case G).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FitMode {
    Fit,
    Constrain,
    Crop,
    Wrap,
    Stretch,
    Hfit,
    Vfit,
}

/// Resampling filter chosen by `resMode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ResMode {
    Bilin,
    Bicub,
    Sharp2,
    Bisharp,
    Trilin,
}

/// A crop rectangle in source pixels or normalised to the source size.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum CropSpec {
    Pixels { x: i64, y: i64, w: i64, h: i64 },
    Normalized { x: f64, y: f64, w: f64, h: f64 },
}

/// Edge growth (`extend`) in pixels or normalised to the layer size (`extendN`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum ExtendSpec {
    Pixels([i64; 4]),
    Normalized([f64; 4]),
}

/// Unsharp mask arguments (`op_usm`, `op_usmR`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Usm {
    pub amount: f64,
    pub radius: f64,
    pub threshold: u8,
    pub monochrome: bool,
}

/// `op_colorize=color[,norm|off[,contrast]]`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Colorize {
    pub color: Rgba,
    pub normalize: bool,
    pub contrast: f64,
}

/// `op_noise=val[,uniform|gaussian[,monochrome]]`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Noise {
    pub amount: u8,
    pub gaussian: bool,
    pub monochrome: bool,
}

/// `quantize=type[,dither[,numColors[,colorList]]]`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Quantize {
    pub web: bool,
    pub dither: bool,
    pub colors: u16,
    pub forced: Vec<[u8; 3]>,
}

impl Default for Quantize {
    fn default() -> Self {
        Self { web: false, dither: true, colors: 256, forced: Vec::new() }
    }
}

/// The per-pixel colour operations of spec §3.4, applied in the order of §6.2 step 9.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub(crate) struct ColorOps {
    pub brightness: i64,
    pub contrast: i64,
    pub colorbalance: [i64; 3],
    pub hue: i64,
    pub saturation: i64,
    pub colorize: Option<Colorize>,
    pub invert: bool,
    pub blur: f64,
    pub noise: Option<Noise>,
}

impl ColorOps {
    pub fn is_identity(&self) -> bool {
        let noise_off = self.noise.is_none_or(|n| n.amount == 0);
        noise_off && ColorOps { noise: None, ..*self } == ColorOps::default()
    }
}

/// A validated `urlModifier`.
#[derive(Debug, Clone, PartialEq)]
pub struct Modifier {
    pub(crate) wid: Option<u32>,
    pub(crate) hei: Option<u32>,
    pub(crate) scl: Option<f64>,
    pub(crate) fit: Option<(FitMode, bool)>,
    pub(crate) align: (f64, f64),
    pub(crate) bgc: Rgba,
    pub(crate) rect: Option<[i64; 4]>,
    pub(crate) dpr: Option<f64>,
    pub(crate) crop: Option<CropSpec>,
    pub(crate) size: Option<(u32, u32)>,
    pub(crate) scale: Option<f64>,
    pub(crate) flip: (bool, bool),
    pub(crate) rotate: f64,
    pub(crate) extend: Option<ExtendSpec>,
    pub(crate) color: Option<Rgba>,
    pub(crate) bg_color: Option<Rgba>,
    pub(crate) opac: Option<(u8, u8)>,
    pub(crate) res_mode: ResMode,
    pub(crate) ops: ColorOps,
    pub(crate) sharpen: bool,
    pub(crate) usm: Option<Usm>,
    pub(crate) usm_r: Option<Usm>,
    pub(crate) fmt: Format,
    pub(crate) quality: u8,
    pub(crate) chroma_full: bool,
    pub(crate) pscan: Option<u8>,
    pub(crate) quantize: Quantize,
    pub(crate) print_res: Option<f64>,
    pub(crate) icc_embed: bool,
    pub(crate) jpeg_size: u32,
}

impl Default for Modifier {
    fn default() -> Self {
        Self {
            wid: None,
            hei: None,
            scl: None,
            fit: None,
            align: (0.0, 0.0),
            bgc: Rgba::WHITE,
            rect: None,
            dpr: None,
            crop: None,
            size: None,
            scale: None,
            flip: (false, false),
            rotate: 0.0,
            extend: None,
            color: None,
            bg_color: None,
            opac: None,
            res_mode: ResMode::Bicub,
            ops: ColorOps::default(),
            sharpen: false,
            usm: None,
            usm_r: None,
            fmt: Format::default(),
            quality: 80,
            chroma_full: false,
            pscan: None,
            quantize: Quantize::default(),
            print_res: None,
            icc_embed: false,
            jpeg_size: 0,
        }
    }
}

impl Modifier {
    /// The format the copy will be written in.
    pub fn output_format(&self) -> OutputFormat {
        self.fmt.format
    }

    /// Whether the copy keeps an alpha channel (the `-alpha` formats).
    pub fn output_has_alpha(&self) -> bool {
        self.fmt.alpha
    }
}

/// Parses a `urlModifier` (Image Serving commands joined by `&`), validating it completely.
pub fn parse(input: &str) -> Result<Modifier, ModifierError> {
    if input.len() > MAX_LEN {
        return Err(ModifierError::new("urlModifier", format!("longer than the limit of {MAX_LEN} bytes")));
    }
    let input = input.strip_prefix('?').unwrap_or(input);
    let mut m = Modifier::default();
    let mut count = 0;
    for segment in input.split('&') {
        if segment.is_empty() || segment.starts_with('.') {
            continue;
        }
        count += 1;
        if count > MAX_COMMANDS {
            return Err(ModifierError::new("urlModifier", format!("more than {MAX_COMMANDS} commands")));
        }
        if segment.starts_with('$') {
            let name = segment.split('=').next().unwrap_or(segment);
            return Err(ModifierError::new(name, "macros and variables are not supported by copyImage"));
        }
        let (name, value) = match segment.split_once('=') {
            Some((n, v)) => (n, Some(v)),
            None => (segment, None),
        };
        if name.is_empty() {
            return Err(ModifierError::new(
                "urlModifier",
                format!("a command name is missing in {segment:?}"),
            ));
        }
        if !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            return Err(ModifierError::new(name, "command names are ASCII letters, digits and _ only"));
        }
        let name = name.to_ascii_lowercase();
        let decoded = match value {
            Some(v) => Some(values::percent_decode(&name, v)?),
            None => None,
        };
        commands::apply(&mut m, &name, decoded.as_deref())?;
    }
    validate(&m)?;
    Ok(m)
}

/// Cross-command rules of spec §7.2.
fn validate(m: &Modifier) -> Result<(), ModifierError> {
    if m.fit.is_some() && m.wid.is_none() && m.hei.is_none() {
        return Err(ModifierError::new("fit", "needs wid and/or hei"));
    }
    Ok(())
}
