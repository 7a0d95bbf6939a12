//! Synthetic sources of spec §8 (A, B, C, P, X) and helpers to read rendered copies back.
#![allow(dead_code)]

use std::io::Cursor;
use std::sync::OnceLock;

use image::{DynamicImage, ImageFormat, Rgb, RgbImage, Rgba, RgbaImage};
use ipscopy_render::{Limits, Rendered, parse, render};

/// Dark, never white: red ramps with x, green with y, so positions can be read back from colour.
pub fn ramp(w: u32, h: u32) -> RgbImage {
    RgbImage::from_fn(w, h, |x, y| Rgb([(x * 200 / w) as u8, (y * 200 / h) as u8, 40]))
}

pub fn jpeg(img: &RgbImage) -> Vec<u8> {
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 95).encode_image(img).unwrap();
    out
}

pub fn png(img: &DynamicImage) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, ImageFormat::Png).unwrap();
    out.into_inner()
}

/// A: 2000×1500 RGB JPEG.
pub fn source_a() -> &'static [u8] {
    static A: OnceLock<Vec<u8>> = OnceLock::new();
    A.get_or_init(|| jpeg(&ramp(2000, 1500)))
}

/// B: 1500×2000 RGB JPEG.
pub fn source_b() -> &'static [u8] {
    static B: OnceLock<Vec<u8>> = OnceLock::new();
    B.get_or_init(|| jpeg(&ramp(1500, 2000)))
}

/// C: 400×300 RGB JPEG.
pub fn source_c() -> &'static [u8] {
    static C: OnceLock<Vec<u8>> = OnceLock::new();
    C.get_or_init(|| jpeg(&ramp(400, 300)))
}

/// P: 1000×1000 PNG, transparent except an opaque dark-blue disc of radius 300 in the centre.
pub fn source_p() -> &'static [u8] {
    static P: OnceLock<Vec<u8>> = OnceLock::new();
    P.get_or_init(|| {
        let img = RgbaImage::from_fn(1000, 1000, |x, y| {
            let (dx, dy) = (x as i64 - 500, y as i64 - 500);
            if dx * dx + dy * dy < 300 * 300 { Rgba([20, 30, 120, 255]) } else { Rgba([0, 0, 0, 0]) }
        });
        png(&DynamicImage::ImageRgba8(img))
    })
}

/// X: stored 2000×1500 with EXIF orientation 6 (displays 1500×2000). The stored top-left quarter
/// is pure red, so after the clockwise turn red sits in the top-right of the upright image.
pub fn source_x() -> &'static [u8] {
    static X: OnceLock<Vec<u8>> = OnceLock::new();
    X.get_or_init(|| {
        let img = RgbImage::from_fn(2000, 1500, |x, y| {
            if x < 1000 && y < 750 { Rgb([255, 0, 0]) } else { Rgb([0, 0, 255]) }
        });
        with_orientation(&jpeg(&img), 6)
    })
}

/// Inserts an EXIF APP1 segment holding only the Orientation tag right after SOI.
pub fn with_orientation(jpeg: &[u8], orientation: u16) -> Vec<u8> {
    let mut tiff = b"MM\0\x2a\0\0\0\x08\0\x01".to_vec();
    tiff.extend_from_slice(&[0x01, 0x12, 0, 3, 0, 0, 0, 1]);
    tiff.extend_from_slice(&orientation.to_be_bytes());
    tiff.extend_from_slice(&[0, 0, 0, 0, 0, 0]);
    let mut body = b"Exif\0\0".to_vec();
    body.extend_from_slice(&tiff);
    let mut out = jpeg[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&((body.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(&body);
    out.extend_from_slice(&jpeg[2..]);
    out
}

/// Renders with default limits, panicking with the error text on failure.
pub fn run(source: &[u8], modifier: &str) -> Rendered {
    let m = parse(modifier).unwrap_or_else(|e| panic!("{modifier}: {e}"));
    render(source, &m, &Limits::default()).unwrap_or_else(|e| panic!("{modifier}: {e}"))
}

/// Decodes a rendered copy back, checking the container matches the claimed format.
pub fn decoded(r: &Rendered) -> DynamicImage {
    let fmt = image::guess_format(&r.bytes).expect("a known container");
    let expected = match r.format.mime() {
        "image/jpeg" => ImageFormat::Jpeg,
        "image/png" => ImageFormat::Png,
        "image/gif" => ImageFormat::Gif,
        "image/webp" => ImageFormat::WebP,
        "image/tiff" => ImageFormat::Tiff,
        other => panic!("unexpected mime {other}"),
    };
    assert_eq!(fmt, expected, "container does not match the format");
    let img = image::load_from_memory(&r.bytes).expect("the copy decodes");
    assert_eq!(
        (img.width(), img.height()),
        (r.width, r.height),
        "encoded size differs from the reported size"
    );
    img
}

pub fn rgb_at(img: &DynamicImage, x: u32, y: u32) -> [u8; 3] {
    let p = img.to_rgb8().get_pixel(x, y).0;
    [p[0], p[1], p[2]]
}

pub fn is_white(p: [u8; 3]) -> bool {
    p.iter().all(|&c| c >= 245)
}

pub fn near(p: [u8; 3], q: [u8; 3], tolerance: u8) -> bool {
    p.iter().zip(q).all(|(&a, b)| a.abs_diff(b) <= tolerance)
}
