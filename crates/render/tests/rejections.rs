//! Every rejection example of spec §8 (R1–R20), plus the other parse-time rules of §1.2 and §7.

mod common;

use common::source_a;
use ipscopy_render::{Limits, parse, planned_size, render};

/// Asserts that `modifier` is refused, naming `command`, with a reason containing `says`.
fn refused(modifier: &str, command: &str, says: &str) {
    let e = parse(modifier).expect_err(modifier);
    assert_eq!(e.command, command, "{modifier}: {e}");
    assert!(e.reason.contains(says), "{modifier}: reason {:?} does not say {says:?}", e.reason);
    assert_eq!(e.to_string(), format!("{}: {}", e.command, e.reason));
}

/// Asserts that `modifier` parses but its plan on source A exceeds a limit.
fn over_limit(modifier: &str, says: &[&str]) {
    let m = parse(modifier).expect(modifier);
    let e = render(source_a(), &m, &Limits::default()).expect_err(modifier);
    assert_eq!(e.code(), "LimitExceeded");
    let text = e.to_string();
    for s in says {
        assert!(text.contains(s), "{modifier}: {text:?} does not say {s:?}");
    }
    let planned = planned_size(&m, 2000, 1500, &Limits::default()).expect_err(modifier);
    assert_eq!(planned.to_string(), text, "the header-only check gives the same answer");
}

#[test]
fn r01_a_zero_width_is_refused() {
    refused("wid=0", "wid", "must be an integer > 0");
}

#[test]
fn r02_a_fractional_width_is_refused() {
    refused("wid=500.5", "wid", "must be an integer");
}

#[test]
fn r03_fit_without_a_size_is_refused() {
    refused("fit=crop", "fit", "needs wid and/or hei");
}

#[test]
fn r04_quality_above_100_is_refused() {
    refused("qlt=101", "qlt", "quality must be 1..100");
}

#[test]
fn r05_an_unknown_format_is_refused() {
    refused("fmt=bmp", "fmt", "unknown format");
}

#[test]
fn r06_a_known_but_unsupported_format_is_refused() {
    refused("fmt=heic", "fmt", "format not supported by copyImage");
}

#[test]
fn r07_compression_on_png_is_refused() {
    refused("fmt=png,,lzw", "fmt", "compression not allowed for png");
}

#[test]
fn r08_jpeg_compression_on_tif_alpha_is_refused() {
    refused("fmt=tif-alpha,,jpeg", "fmt", "jpeg compression not allowed for tif-alpha");
}

#[test]
fn r09_cmyk_output_is_refused() {
    refused("fmt=jpeg,cmyk", "fmt", "pixel type cmyk not supported");
}

#[test]
fn r10_a_word_for_an_angle_is_refused() {
    refused("rotate=ninety", "rotate", "not a number");
}

#[test]
fn r11_a_width_past_the_side_limit_is_refused_before_decoding() {
    over_limit("wid=20000", &["wid", "output 20000×15000", "16383 px side", "100 MPixel"]);
}

#[test]
fn r12_a_scale_past_the_limits_is_refused_before_decoding() {
    over_limit("scl=0.1", &["scl", "output 20000×15000", "exceeds"]);
}

#[test]
fn r13_other_layers_are_refused() {
    refused("layer=1&src=logo", "layer", "multi-layer requests not supported");
}

#[test]
fn r14_macros_are_refused() {
    refused("$thumb$", "$thumb$", "macros and variables are not supported");
}

#[test]
fn r15_too_many_palette_colours_are_refused() {
    refused("quantize=adaptive,diffuse,300", "quantize", "numColors must be 2..256");
}

#[test]
fn r16_an_invalid_colour_is_refused() {
    refused("bgc=gggggg", "bgc", "invalid colour");
}

#[test]
fn r17_request_types_other_than_img_are_refused() {
    refused("req=props", "req", "only img is supported");
}

#[test]
fn r18_size_n_is_refused_for_layer_0() {
    refused("sizeN=0.5,0.5", "sizen", "not allowed for layer 0");
}

#[test]
fn r19_an_empty_crop_is_refused() {
    refused("crop=0,0,0,100", "crop", "width and height must be > 0");
}

#[test]
fn r20_an_unknown_command_is_refused_by_name() {
    refused("foo=1", "foo", "unknown command \"foo\"");
}

#[test]
fn a_missing_value_is_refused() {
    refused("wid", "wid", "a value is required");
    refused("wid=", "wid", "a value is required");
}

#[test]
fn a_wrong_argument_count_is_refused() {
    refused("align=0", "align", "expects h,v");
    refused("crop=1,2,3", "crop", "expects x,y,w,h");
}

#[test]
fn a_malformed_percent_escape_is_refused() {
    refused("qlt=90%2", "qlt", "malformed %-escape");
}

#[test]
fn exponents_and_infinity_are_not_numbers() {
    refused("scl=1e3", "scl", "not a number");
    refused("rotate=inf", "rotate", "not a number");
}

#[test]
fn out_of_range_values_are_refused_with_the_range() {
    refused("align=2,0", "align", "h must be -1..1");
    refused("op_usm=6,1", "op_usm", "amount must be 0..5");
    refused("op_hue=200", "op_hue", "hue must be -180..180");
    refused("opac=101", "opac", "opacity must be 0..100");
    refused("pscan=7", "pscan", "must be auto, 3, 4 or 5");
    refused("printRes=0", "printres", "dpi must be > 0");
    refused("jpegSize=-1", "jpegsize", "kb must be 0..");
    refused("qlt=80,2", "qlt", "chroma must be 0..1");
}

#[test]
fn unknown_keywords_are_refused() {
    refused("fit=squash", "fit", "unknown mode");
    refused("flip=diagonal", "flip", "must be lr, ud or lrud");
    refused("resMode=nearest", "resmode", "unknown mode");
    refused("op_noise=10,pink", "op_noise", "unknown distribution");
}

#[test]
fn the_mac_palette_and_region_commands_are_refused() {
    refused("quantize=mac", "quantize", "mac palette is not supported");
    refused("rgn=0,0,10,10", "rgn", "not supported by copyImage");
    refused("icc=sRGB", "icc", "not supported by copyImage");
}

#[test]
fn an_oversized_modifier_is_refused_as_a_whole() {
    let long = format!("wid=500&.{}", "x".repeat(9000));
    refused(&long, "urlModifier", "longer than the limit of 8192 bytes");
}

#[test]
fn more_than_64_commands_are_refused() {
    let many = vec!["wid=500"; 65].join("&");
    refused(&many, "urlModifier", "more than 64 commands");
}

#[test]
fn a_leading_question_mark_empty_segments_and_ignored_commands_are_accepted() {
    for ok in
        ["?wid=500&&", "cache=off&id=42&req=img&pos=1,2&anchorN=0,0", "layer=comp&wid=5", "layer=0&WID=5"]
    {
        assert!(parse(ok).is_ok(), "{ok}");
    }
}

#[test]
fn a_plus_sign_is_not_a_space() {
    assert!(parse("wid=+500").is_ok());
    assert!(parse("wid=%20500%20").is_ok(), "decoded blanks are trimmed");
    refused("wid=5+0", "wid", "must be an integer > 0");
}
