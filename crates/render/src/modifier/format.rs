//! `fmt=format[,pixelType[,compression]]` (spec §3.5.1).

use super::values::Args;
use crate::error::ModifierError;

/// The output file format of a copy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputFormat {
    /// Baseline JPEG (`jpeg`, `jpg`).
    Jpeg,
    /// Progressive JPEG (`pjpeg`).
    Pjpeg,
    /// Truecolour PNG (`png`, `png-alpha`).
    Png,
    /// Palette PNG (`png8`, `png8-alpha`).
    Png8,
    /// GIF (`gif`, `gif-alpha`), one frame.
    Gif,
    /// WebP, lossy or lossless (`webp`, `webp-alpha`).
    Webp,
    /// TIFF (`tif`, `tif-alpha`).
    Tiff,
}

impl OutputFormat {
    /// The MIME type written as the stored object's content type.
    pub fn mime(self) -> &'static str {
        match self {
            OutputFormat::Jpeg | OutputFormat::Pjpeg => "image/jpeg",
            OutputFormat::Png | OutputFormat::Png8 => "image/png",
            OutputFormat::Gif => "image/gif",
            OutputFormat::Webp => "image/webp",
            OutputFormat::Tiff => "image/tiff",
        }
    }

    /// The short name recorded in `imageInfo.format` (the IS `fmt` name without `-alpha`).
    pub fn as_str(self) -> &'static str {
        match self {
            OutputFormat::Jpeg => "jpeg",
            OutputFormat::Pjpeg => "pjpeg",
            OutputFormat::Png => "png",
            OutputFormat::Png8 => "png8",
            OutputFormat::Gif => "gif",
            OutputFormat::Webp => "webp",
            OutputFormat::Tiff => "tif",
        }
    }

    /// The usual file extension for this format.
    pub fn extension(self) -> &'static str {
        match self {
            OutputFormat::Jpeg | OutputFormat::Pjpeg => "jpg",
            OutputFormat::Png | OutputFormat::Png8 => "png",
            OutputFormat::Gif => "gif",
            OutputFormat::Webp => "webp",
            OutputFormat::Tiff => "tif",
        }
    }
}

/// Compression named by the third `fmt` argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Compression {
    Default,
    Lossy,
    Lossless,
    None,
    Lzw,
    Zip,
    Jpeg,
}

/// The parsed `fmt` command.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Format {
    pub format: OutputFormat,
    pub alpha: bool,
    pub gray: bool,
    pub compression: Compression,
}

impl Default for Format {
    fn default() -> Self {
        Self { format: OutputFormat::Jpeg, alpha: false, gray: false, compression: Compression::Default }
    }
}

const REFUSED: &[&str] = &[
    "heic",
    "jpeg2000",
    "jpeg2000-alpha",
    "jpegxr",
    "jpegxr-alpha",
    "eps",
    "pdf",
    "swf",
    "swf3",
    "swf-alpha",
    "swf3-alpha",
    "f4m",
    "m3u8",
    "avif",
    "avif-alpha",
];

pub(crate) fn parse_fmt(a: &Args) -> Result<Format, ModifierError> {
    a.count(1, 3, "format[,pixelType[,compression]]")?;
    let name = a.opt(0).ok_or_else(|| a.err("a format is required"))?.to_ascii_lowercase();
    let (format, alpha) = match name.as_str() {
        "jpeg" | "jpg" => (OutputFormat::Jpeg, false),
        "pjpeg" => (OutputFormat::Pjpeg, false),
        "png" => (OutputFormat::Png, false),
        "png-alpha" => (OutputFormat::Png, true),
        "png8" => (OutputFormat::Png8, false),
        "png8-alpha" => (OutputFormat::Png8, true),
        "gif" => (OutputFormat::Gif, false),
        "gif-alpha" => (OutputFormat::Gif, true),
        "webp" => (OutputFormat::Webp, false),
        "webp-alpha" => (OutputFormat::Webp, true),
        "tif" | "tiff" => (OutputFormat::Tiff, false),
        "tif-alpha" | "tiff-alpha" => (OutputFormat::Tiff, true),
        n if REFUSED.contains(&n) => return Err(a.err(format!("format not supported by copyImage: {n}"))),
        n => return Err(a.err(format!("unknown format {n:?}"))),
    };
    let gray = match a.opt(1).map(str::to_ascii_lowercase).as_deref() {
        None | Some("rgb") => false,
        Some("gray") => {
            if matches!(format, OutputFormat::Png8 | OutputFormat::Webp) {
                return Err(a.err(format!("pixel type gray not allowed for {name}")));
            }
            true
        }
        Some("cmyk") => return Err(a.err("pixel type cmyk not supported")),
        Some(other) => return Err(a.err(format!("unknown pixel type {other:?} (rgb or gray)"))),
    };
    let compression = match a.opt(2).map(str::to_ascii_lowercase) {
        None => Compression::Default,
        Some(c) => parse_compression(a, &name, format, alpha, &c)?,
    };
    Ok(Format { format, alpha, gray, compression })
}

fn parse_compression(
    a: &Args,
    name: &str,
    format: OutputFormat,
    alpha: bool,
    c: &str,
) -> Result<Compression, ModifierError> {
    let compression = match c {
        "lossy" => Compression::Lossy,
        "lossless" => Compression::Lossless,
        "none" => Compression::None,
        "lzw" => Compression::Lzw,
        "zip" => Compression::Zip,
        "jpeg" => Compression::Jpeg,
        other => return Err(a.err(format!("unknown compression {other:?}"))),
    };
    let allowed = match format {
        OutputFormat::Webp => matches!(compression, Compression::Lossy | Compression::Lossless),
        OutputFormat::Tiff => {
            if alpha && compression == Compression::Jpeg {
                return Err(a.err(format!("jpeg compression not allowed for {name}")));
            }
            if compression == Compression::Jpeg {
                // The TIFF writer we use has no JPEG codec; refusing beats silently writing LZW.
                return Err(a.err("jpeg compression for tif is not supported yet (use none, lzw or zip)"));
            }
            matches!(compression, Compression::None | Compression::Lzw | Compression::Zip)
        }
        _ => return Err(a.err(format!("compression not allowed for {name}"))),
    };
    if !allowed {
        return Err(a.err(format!("{c} compression not allowed for {name}")));
    }
    Ok(compression)
}
