//! One decode serving several renders: every copy finished from a shared decode is the file a
//! render of that copy alone gives, byte for byte.

mod common;

use common::*;
use ipscopy_render::{Limits, parse, prepare, render};

const HUBBLE: &[u8] = include_bytes!("fixtures/hubble_deep_field.jpg");
const CAMERA: &[u8] = include_bytes!("fixtures/camera.png");

/// The rendition sets a bulk submitter asks for, with the ops that look at alpha, colour,
/// orientation and metadata so that every stage after the decode runs at least once.
const SETS: &[&str] = &[
    "wid=100",
    "wid=250",
    "wid=500",
    "wid=500&fmt=webp",
    "wid=300&hei=300&fit=crop",
    "wid=200&fmt=png-alpha&rotate=30",
    "crop=100,50,600,400&wid=150&op_sharpen=1&bgc=ff0000",
    "hei=180&fmt=gif&flip=lr",
    "wid=120&op_brightness=20&op_usm=1,1,10,0&qlt=60",
];

/// Renders every modifier of `SETS` from one decode per decode scale, and alone.
fn assert_shared_decodes_give_solo_bytes(source: &[u8], name: &str) {
    let limits = Limits::default();
    let prepared: Vec<_> =
        SETS.iter().map(|m| (m, prepare(source, &parse(m).unwrap(), &limits).unwrap())).collect();
    let mut decodes = std::collections::HashMap::new();
    for (modifier, render_of) in &prepared {
        let decoded =
            decodes.entry(render_of.decode_scale()).or_insert_with(|| render_of.decode(source).unwrap());
        let shared = render_of.finish(decoded, &limits).unwrap();
        let alone = render(source, &parse(modifier).unwrap(), &limits).unwrap();
        assert!(shared.bytes == alone.bytes, "{name} {modifier}: a shared decode changed the bytes");
        assert_eq!((shared.width, shared.height), (alone.width, alone.height), "{name} {modifier}");
    }
    let scales: usize = decodes.len();
    assert!(scales < SETS.len(), "{name}: the set shared no decode at all ({scales} decodes)");
}

#[test]
fn copies_finished_from_a_shared_jpeg_decode_are_byte_identical_to_copies_rendered_alone() {
    assert_shared_decodes_give_solo_bytes(HUBBLE, "photo");
    assert_shared_decodes_give_solo_bytes(&with_orientation(source_a(), 6), "rotated JPEG");
}

#[test]
fn copies_finished_from_a_shared_png_decode_are_byte_identical_to_copies_rendered_alone() {
    assert_shared_decodes_give_solo_bytes(CAMERA, "camera");
    assert_shared_decodes_give_solo_bytes(source_p(), "transparent disc");
}

#[test]
fn a_decode_is_left_as_it_was_by_the_renders_it_serves() {
    let limits = Limits::default();
    let first = prepare(HUBBLE, &parse("wid=100&op_invert=1").unwrap(), &limits).unwrap();
    let decoded = first.decode(HUBBLE).unwrap();
    let before = first.finish(&decoded, &limits).unwrap();
    for m in ["wid=100&rotate=90", "wid=100&op_invert=1&flip=ud", "wid=100&op_blur=3"] {
        let other = prepare(HUBBLE, &parse(m).unwrap(), &limits).unwrap();
        assert_eq!(other.decode_scale(), first.decode_scale(), "{m}");
        other.finish(&decoded, &limits).unwrap();
    }
    assert!(first.finish(&decoded, &limits).unwrap().bytes == before.bytes);
    assert!(
        decoded.heap_bytes() as u64 <= first.decoded_bytes(),
        "for a baseline JPEG the estimate bounds the decode"
    );
}
