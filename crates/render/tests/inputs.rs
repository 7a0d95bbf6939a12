//! Source formats and variants of the input list, metadata kept and dropped, and the
//! header-only limits.

mod common;

use std::io::Cursor;

use common::*;
use image::{DynamicImage, GrayImage, ImageEncoder, Luma, Rgb, RgbImage, Rgba};
use ipscopy_render::{Limits, OutputFormat, parse, probe, render};

const HUBBLE: &[u8] = include_bytes!("fixtures/hubble_deep_field.jpg");
const CAMERA: &[u8] = include_bytes!("fixtures/camera.png");
const ROCKET: &[u8] = include_bytes!("fixtures/rocket.jpg");

fn solid(w: u32, h: u32, c: [u8; 3]) -> RgbImage {
    RgbImage::from_pixel(w, h, Rgb(c))
}

#[test]
fn probe_reads_size_and_format_from_the_header() {
    let info = probe(HUBBLE).unwrap();
    assert_eq!((info.width, info.height, info.format), (1000, 872, "jpeg"));
    assert_eq!(probe(CAMERA).unwrap().format, "png");
}

#[test]
fn probe_reports_the_upright_size_of_an_exif_rotated_jpeg() {
    let info = probe(source_x()).unwrap();
    assert_eq!((info.width, info.height), (1500, 2000));
}

#[test]
fn bytes_that_are_not_an_image_are_undecodable() {
    let e = probe(b"hello, world").unwrap_err();
    assert_eq!(e.code(), "SourceUndecodable");
    let truncated = &source_a()[..2000];
    let e = render(truncated, &parse("wid=100").unwrap(), &Limits::default()).unwrap_err();
    assert_eq!(e.code(), "SourceUndecodable", "{e}");
}

#[test]
fn a_50000_pixel_square_png_of_a_few_bytes_is_refused_from_its_header() {
    let bomb = png_claiming(50_000, 50_000);
    assert!(bomb.len() < 4096, "{} bytes", bomb.len());
    assert_eq!((probe(&bomb).unwrap().width, probe(&bomb).unwrap().height), (50_000, 50_000));
    let e = render(&bomb, &parse("wid=100").unwrap(), &Limits::default()).unwrap_err();
    assert_eq!(e.code(), "LimitExceeded");
    assert!(e.to_string().contains("50000×50000"), "{e}");
}

/// A valid PNG header for a `w`×`h` gray image followed by a tiny IDAT: the header promises
/// gigabytes, the file holds a few bytes.
fn png_claiming(w: u32, h: u32) -> Vec<u8> {
    fn chunk(out: &mut Vec<u8>, kind: &[u8], body: &[u8]) {
        out.extend_from_slice(&(body.len() as u32).to_be_bytes());
        let mut crc_input = kind.to_vec();
        crc_input.extend_from_slice(body);
        out.extend_from_slice(&crc_input);
        out.extend_from_slice(&crc32(&crc_input).to_be_bytes());
    }
    fn crc32(data: &[u8]) -> u32 {
        let mut c = 0xFFFF_FFFFu32;
        for &b in data {
            c ^= u32::from(b);
            for _ in 0..8 {
                c = if c & 1 == 1 { 0xEDB8_8320 ^ (c >> 1) } else { c >> 1 };
            }
        }
        !c
    }
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = w.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[8, 0, 0, 0, 0]);
    chunk(&mut out, b"IHDR", &ihdr);
    // zlib stream with one stored block of 5 zero bytes (adler32 of five zeros is 0x0005_0001).
    chunk(&mut out, b"IDAT", &[0x78, 0x01, 0x01, 5, 0, 0xFA, 0xFF, 0, 0, 0, 0, 0, 0, 5, 0, 1]);
    chunk(&mut out, b"IEND", &[]);
    out
}

#[test]
fn the_source_pixel_limit_is_configurable() {
    let limits = Limits { max_source_pixels: 1_000_000, ..Limits::default() };
    let e = render(source_a(), &parse("wid=100").unwrap(), &limits).unwrap_err();
    assert_eq!(e.code(), "LimitExceeded");
    assert!(e.to_string().contains("2000×1500"), "{e}");
}

#[test]
fn the_output_limits_are_configurable() {
    let limits = Limits { max_output_side: 5000, ..Limits::default() };
    let e = render(source_a(), &parse("wid=6000").unwrap(), &limits).unwrap_err();
    assert!(e.to_string().contains("5000 px side"), "{e}");
}

#[test]
fn a_progressive_jpeg_source_decodes() {
    let mut out = Vec::new();
    let mut e = jpeg_encoder::Encoder::new(&mut out, 90);
    e.set_progressive(true);
    e.encode(solid(64, 48, [200, 30, 30]).as_raw(), 64, 48, jpeg_encoder::ColorType::Rgb).unwrap();
    let img = decoded(&run(&out, "wid=32&fmt=png"));
    assert!(near(rgb_at(&img, 16, 12), [200, 30, 30], 6), "{:?}", rgb_at(&img, 16, 12));
}

#[test]
fn a_grayscale_jpeg_source_becomes_rgb_output() {
    let gray = GrayImage::from_pixel(40, 30, Luma([90]));
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 95).encode_image(&gray).unwrap();
    let img = decoded(&run(&out, "fmt=png"));
    assert_eq!(img.color(), image::ColorType::Rgb8);
    assert!(near(rgb_at(&img, 5, 5), [90, 90, 90], 3));
}

#[test]
fn a_cmyk_jpeg_source_is_converted_naively_to_rgb() {
    // Pure cyan ink, no black: c=255 m=y=k=0 in ink amounts.
    let px: Vec<u8> = [255u8, 0, 0, 0].repeat(32 * 32);
    let mut out = Vec::new();
    jpeg_encoder::Encoder::new(&mut out, 95).encode(&px, 32, 32, jpeg_encoder::ColorType::Cmyk).unwrap();
    let img = decoded(&run(&out, "fmt=png"));
    assert!(near(rgb_at(&img, 16, 16), [0, 255, 255], 8), "{:?}", rgb_at(&img, 16, 16));
}

#[test]
fn a_16_bit_png_is_reduced_to_8_bits() {
    let img = image::ImageBuffer::<Rgb<u16>, Vec<u16>>::from_pixel(20, 20, Rgb([65535, 32896, 0]));
    let src = png(&DynamicImage::ImageRgb16(img));
    let out = decoded(&run(&src, "fmt=png"));
    assert_eq!(out.color(), image::ColorType::Rgb8);
    assert_eq!(rgb_at(&out, 3, 3), [255, 128, 0]);
}

#[test]
fn a_gray_png_fixture_renders_to_rgb_jpeg() {
    let r = run(CAMERA, "wid=256");
    assert_eq!((r.width, r.height), (256, 256));
    assert_eq!(decoded(&r).color(), image::ColorType::Rgb8);
}

#[test]
fn a_palette_png_with_transparency_keeps_its_transparent_entry() {
    let mut src = Vec::new();
    {
        let mut e = png::Encoder::new(&mut src, 4, 1);
        e.set_color(png::ColorType::Indexed);
        e.set_palette(vec![255, 0, 0, 0, 0, 255]);
        e.set_trns(vec![255, 0]);
        let mut w = e.write_header().unwrap();
        w.write_image_data(&[0, 0, 1, 1]).unwrap();
    }
    let out = decoded(&run(&src, "fmt=png-alpha"));
    let rgba = out.to_rgba8();
    assert_eq!(rgba.get_pixel(0, 0).0, [255, 0, 0, 255]);
    assert_eq!(rgba.get_pixel(3, 0).0[3], 0);
    let flat = decoded(&run(&src, "fmt=png&bgc=00ff00"));
    assert_eq!(rgb_at(&flat, 3, 0), [0, 255, 0], "transparent pixels flatten onto bgc");
}

#[test]
fn a_webp_source_decodes() {
    let mut src = Vec::new();
    image::codecs::webp::WebPEncoder::new_lossless(&mut src)
        .write_image(solid(30, 20, [10, 200, 10]).as_raw(), 30, 20, image::ExtendedColorType::Rgb8)
        .unwrap();
    let img = decoded(&run(&src, "fmt=png"));
    assert_eq!(rgb_at(&img, 1, 1), [10, 200, 10]);
}

#[test]
fn an_animated_gif_source_gives_its_first_frame() {
    let mut src = Vec::new();
    {
        let mut e = image::codecs::gif::GifEncoder::new(&mut src);
        for c in [[255, 0, 0, 255], [0, 0, 255, 255]] {
            let frame = image::Frame::new(image::RgbaImage::from_pixel(10, 10, Rgba(c)));
            e.encode_frame(frame).unwrap();
        }
    }
    let img = decoded(&run(&src, "fmt=png"));
    assert_eq!(rgb_at(&img, 5, 5), [255, 0, 0]);
}

#[test]
fn an_animation_with_too_many_frames_is_refused_before_decoding() {
    let mut src = Vec::new();
    {
        let mut e = image::codecs::gif::GifEncoder::new(&mut src);
        for i in 0..5u8 {
            e.encode_frame(image::Frame::new(image::RgbaImage::from_pixel(4, 4, Rgba([i, 0, 0, 255]))))
                .unwrap();
        }
    }
    let limits = Limits { max_source_frames: 4, ..Limits::default() };
    let e = render(&src, &parse("wid=2").unwrap(), &limits).unwrap_err();
    assert_eq!(e.code(), "LimitExceeded");
    assert!(e.to_string().contains("5 animation frames"), "{e}");
    assert!(
        render(&src, &parse("wid=2").unwrap(), &Limits { max_source_frames: 5, ..Limits::default() }).is_ok()
    );
}

#[test]
fn a_tiff_source_decodes() {
    let mut src = Cursor::new(Vec::new());
    DynamicImage::ImageRgb8(solid(16, 8, [1, 2, 3])).write_to(&mut src, image::ImageFormat::Tiff).unwrap();
    let img = decoded(&run(src.get_ref(), "fmt=png"));
    assert_eq!((img.width(), img.height()), (16, 8));
    assert_eq!(rgb_at(&img, 2, 2), [1, 2, 3]);
}

#[test]
fn exif_orientation_is_applied_after_a_shrink_on_load_decode() {
    // 1500×2000 upright shrunk to 100 wide: a reduction of 15 decodes the JPEG at 1/4.
    let img = decoded(&run(source_x(), "wid=100&fmt=png"));
    assert_eq!((img.width(), img.height()), (100, 133));
    assert!(near(rgb_at(&img, 80, 20), [255, 0, 0], 16), "{:?}", rgb_at(&img, 80, 20));
    assert!(near(rgb_at(&img, 20, 20), [0, 0, 255], 16), "{:?}", rgb_at(&img, 20, 20));
}

#[test]
fn every_exif_orientation_is_turned_upright() {
    // A 2×1 image whose left pixel is red, stored under each orientation so that, upright, it is
    // the same 2-wide picture: red on the left.
    let red_left = solid(32, 16, [0, 0, 255]);
    let mut stored: Vec<(u16, RgbImage)> = Vec::new();
    let mark = |mut img: RgbImage, x0: u32, y0: u32| {
        for y in y0..y0 + 16.min(img.height() - y0) {
            for x in x0..x0 + 16.min(img.width() - x0) {
                img.put_pixel(x, y, Rgb([255, 0, 0]));
            }
        }
        img
    };
    let upright = mark(red_left.clone(), 0, 0);
    stored.push((1, upright.clone()));
    stored.push((2, image::imageops::flip_horizontal(&upright)));
    stored.push((3, image::imageops::rotate180(&upright)));
    stored.push((4, image::imageops::flip_vertical(&upright)));
    // 5–8 store a transposed (16 wide, 32 high) picture.
    let t = |img: &RgbImage| RgbImage::from_fn(img.height(), img.width(), |x, y| *img.get_pixel(y, x));
    stored.push((5, t(&upright)));
    stored.push((6, image::imageops::rotate270(&upright)));
    stored.push((7, image::imageops::rotate180(&t(&upright))));
    stored.push((8, image::imageops::rotate90(&upright)));
    for (o, img) in stored {
        let src = with_orientation(&jpeg(&img), o);
        let out = decoded(&run(&src, "fmt=png"));
        assert_eq!((out.width(), out.height()), (32, 16), "orientation {o}");
        assert!(near(rgb_at(&out, 4, 8), [255, 0, 0], 40), "orientation {o}: {:?}", rgb_at(&out, 4, 8));
        assert!(near(rgb_at(&out, 28, 8), [0, 0, 255], 40), "orientation {o}: {:?}", rgb_at(&out, 28, 8));
    }
}

#[test]
fn the_source_icc_profile_is_kept_and_exif_and_xmp_are_dropped() {
    let r = run(HUBBLE, "wid=300");
    let segments = app_segments(&r.bytes);
    assert!(segments.iter().any(|s| s.starts_with(b"ICC_PROFILE\0")), "ICC kept");
    assert!(!segments.iter().any(|s| s.starts_with(b"Exif\0\0")), "EXIF dropped");
    assert!(!segments.iter().any(|s| s.starts_with(b"http://ns.adobe.com/xap")), "XMP dropped");
    let png_copy = run(HUBBLE, "wid=300&fmt=png");
    assert!(png_copy.bytes.windows(4).any(|w| w == b"iCCP"), "ICC kept in PNG");
    assert!(!png_copy.bytes.windows(4).any(|w| w == b"eXIf"), "no EXIF in PNG");
}

#[test]
fn an_rgb_profile_is_not_embedded_in_a_gray_copy() {
    let r = run(HUBBLE, "wid=300&fmt=jpeg,gray");
    assert!(!app_segments(&r.bytes).iter().any(|s| s.starts_with(b"ICC_PROFILE\0")));
}

#[test]
fn print_resolution_is_written_into_png_and_tiff() {
    let png_copy = run(ROCKET, "wid=100&fmt=png&printRes=300");
    let at = png_copy.bytes.windows(4).position(|w| w == b"pHYs").expect("a pHYs chunk");
    let ppm = u32::from_be_bytes(png_copy.bytes[at + 4..at + 8].try_into().unwrap());
    assert_eq!(ppm, 11811, "300 dpi in pixels per metre");
    let tif = run(ROCKET, "wid=100&fmt=tif&printRes=300");
    let mut d = tiff::decoder::Decoder::new(Cursor::new(&tif.bytes)).unwrap();
    assert!(d.get_tag(tiff::tags::Tag::XResolution).is_ok());
}

#[test]
fn every_output_format_decodes_at_the_reported_size() {
    for (fmt, expected) in [
        ("jpeg", OutputFormat::Jpeg),
        ("pjpeg", OutputFormat::Pjpeg),
        ("png", OutputFormat::Png),
        ("png-alpha", OutputFormat::Png),
        ("png8", OutputFormat::Png8),
        ("png8-alpha", OutputFormat::Png8),
        ("gif", OutputFormat::Gif),
        ("gif-alpha", OutputFormat::Gif),
        ("webp", OutputFormat::Webp),
        ("webp-alpha", OutputFormat::Webp),
        ("tif", OutputFormat::Tiff),
        ("tif-alpha", OutputFormat::Tiff),
        ("tif,gray,zip", OutputFormat::Tiff),
        ("tif-alpha,gray", OutputFormat::Tiff),
        ("png,gray", OutputFormat::Png),
        ("png-alpha,gray", OutputFormat::Png),
    ] {
        let r = run(ROCKET, &format!("wid=120&fmt={fmt}"));
        assert_eq!((r.width, r.height, r.format), (120, 80, expected), "{fmt}");
        decoded(&r);
    }
}

#[test]
fn a_copy_wider_than_webp_allows_is_an_encode_error_not_a_crash() {
    let limits = Limits { max_output_side: 20_000, ..Limits::default() };
    let m = parse("wid=17000&hei=2&fit=stretch,1&fmt=webp").unwrap();
    let e = render(source_c(), &m, &limits).unwrap_err();
    assert_eq!(e.code(), "EncodeFailed", "{e}");
}

#[test]
fn jpeg_size_lowers_quality_until_the_copy_fits() {
    let big = run(HUBBLE, "wid=800&qlt=95");
    let capped = run(HUBBLE, "wid=800&qlt=95&jpegSize=40");
    assert!(big.bytes.len() > 40 * 1024, "the uncapped copy is {} bytes", big.bytes.len());
    assert!(capped.bytes.len() <= 40 * 1024, "{} bytes", capped.bytes.len());
    let e = render(HUBBLE, &parse("wid=800&jpegSize=1").unwrap(), &Limits::default()).unwrap_err();
    assert_eq!(e.code(), "EncodeFailed");
    assert!(e.to_string().contains("jpegSize"), "{e}");
}

/// Bodies of APPn segments before the first scan.
fn app_segments(data: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut i = 2;
    while i + 4 <= data.len() && data[i] == 0xFF && data[i + 1] != 0xDA {
        let len = u16::from_be_bytes([data[i + 2], data[i + 3]]) as usize;
        if (0xE0..=0xEF).contains(&data[i + 1]) {
            out.push(data[i + 4..i + 2 + len].to_vec());
        }
        i += 2 + len;
    }
    out
}

// Inputs found by `scripts/fuzz.sh` (see SECURITY.md); each one crashed or bloated the engine
// before its fix.

#[test]
fn a_gif_whose_frame_is_far_larger_than_its_screen_is_refused_before_the_frame_is_allocated() {
    // 79 bytes: a 9215×4 screen holding a 16,723×18,756 frame, which asked the decoder for 1.25 GB.
    const GIF: &[u8] = &[
        71, 73, 70, 56, 57, 97, 255, 35, 4, 0, 128, 0, 0, 0, 0, 6, 216, 0, 0, 33, 249, 4, 9, 10, 0, 0, 0, 44,
        0, 0, 0, 0, 83, 65, 68, 73, 0, 4, 0, 130, 200, 0, 0, 200, 0, 200, 0, 0, 200, 40, 80, 120, 200, 160,
        0, 200, 200, 0, 0, 0, 0, 33, 0, 8, 9, 0, 0, 3, 67, 165, 204, 193, 246, 17, 0, 22, 71, 0, 59,
    ];
    let info = probe(GIF).unwrap();
    assert_eq!((info.width, info.height, info.format), (9215, 4, "gif"));
    let e = render(GIF, &parse("wid=32").unwrap(), &Limits::default()).unwrap_err();
    assert_eq!(e.code(), "LimitExceeded", "{e}");
    assert!(e.to_string().contains("needs more memory than the image's size allows"), "{e}");
}

#[test]
fn a_jpeg_whose_frame_size_libjpeg_reads_differently_is_refused_before_its_pixels_are_allocated() {
    let small = jpeg(&ramp(9, 6));
    let file = jpeg_with_two_frame_sizes(&small, (1, 1), (30_000, 30_000));
    let info = probe(&file).unwrap();
    assert_eq!((info.width, info.height), (1, 1), "the header check sees the small frame");
    let e = render(&file, &parse("wid=32").unwrap(), &Limits::default()).unwrap_err();
    assert_eq!(e.code(), "SourceUndecodable", "{e}");
    assert!(e.to_string().contains("frame header is ambiguous: 1×1 or 30000×30000"), "{e}");
}

/// `jpeg` with an RST0 marker after SOI. libjpeg takes RST0 as standalone and reads the APP1
/// after it, which hides a `seen` frame header, then the real frame resized to `decoded`; a
/// reader that gives RST0 a length lands inside APP1 on the `seen` one.
fn jpeg_with_two_frame_sizes(jpeg: &[u8], seen: (u16, u16), decoded: (u16, u16)) -> Vec<u8> {
    let mut i = 2;
    while jpeg[i + 1] != 0xC0 {
        i += 2 + usize::from(u16::from_be_bytes([jpeg[i + 2], jpeg[i + 3]]));
    }
    let sof_len = 2 + usize::from(u16::from_be_bytes([jpeg[i + 2], jpeg[i + 3]]));
    let sof = |(w, h): (u16, u16)| {
        let mut s = jpeg[i..i + sof_len].to_vec();
        s[5..7].copy_from_slice(&h.to_be_bytes());
        s[7..9].copy_from_slice(&w.to_be_bytes());
        s
    };
    // RST0's two "length" bytes are APP1's marker, 0xFFE1: the small frame sits that far on.
    let mut app1 = vec![0u8; 0xFFFF - 2];
    let at = 2 + 2 + 0xFFE1 - (2 + 2 + 4);
    app1[at..at + sof_len].copy_from_slice(&sof(seen));
    let mut out = vec![0xFF, 0xD8, 0xFF, 0xD0, 0xFF, 0xE1, 0xFF, 0xFF];
    out.extend_from_slice(&app1);
    out.extend_from_slice(&jpeg[2..i]);
    out.extend_from_slice(&sof(decoded));
    out.extend_from_slice(&jpeg[i + sof_len..]);
    out
}

#[test]
fn a_one_pixel_png_whose_icc_profile_inflates_past_64_mib_is_copied_without_it() {
    let mut profile = vec![0; 65 << 20];
    profile[16..20].copy_from_slice(b"RGB ");
    let mut file = Vec::new();
    let mut encoder = image::codecs::png::PngEncoder::new(&mut file);
    encoder.set_icc_profile(profile).unwrap();
    encoder.write_image(&[9, 9, 9], 1, 1, image::ExtendedColorType::Rgb8).unwrap();
    assert!(file.len() < 256 * 1024, "{} bytes", file.len());
    let copy = render(&file, &parse("fmt=png").unwrap(), &Limits::default()).unwrap();
    let mut decoder = image::codecs::png::PngDecoder::new(Cursor::new(&copy.bytes)).unwrap();
    let kept = image::ImageDecoder::icc_profile(&mut decoder).unwrap();
    assert_eq!(kept.map(|p| p.len()), None, "the inflated profile was kept");
}
