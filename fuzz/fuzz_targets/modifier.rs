//! A `urlModifier` from arbitrary bytes: parsing and planning never panic, a plan that passes
//! respects every output limit, and a render of a tiny source has exactly the planned size.
#![no_main]

use ipscopy_render::{Limits, Modifier, parse, planned_size, render};
use libfuzzer_sys::fuzz_target;

const PNG_RGBA: &[u8] = include_bytes!("../seeds/decode/rgba-7x5.png");
const JPEG_EXIF6: &[u8] = include_bytes!("../seeds/decode/exif6-9x6.jpg");

/// Upright source sizes the planner is asked about, from degenerate to the source limit.
const SOURCES: [(u32, u32); 6] = [(1, 1), (3, 2), (2000, 1500), (1500, 2000), (1, 16_383), (10_000, 10_000)];

/// Small enough that rendering every plan that passes stays in the microseconds.
fn tiny() -> Limits {
    Limits {
        max_output_pixels: 128 * 128,
        max_output_side: 512,
        max_intermediate_pixels: 256 * 256,
        max_intermediate_side: 2048,
        ..Limits::default()
    }
}

fn check_plan(m: &Modifier, (w, h): (u32, u32), limits: &Limits) -> Option<(u32, u32)> {
    let (ow, oh) = planned_size(m, w, h, limits).ok()?;
    assert!(ow >= 1 && oh >= 1, "empty output {ow}×{oh}");
    assert!(ow <= limits.max_output_side && oh <= limits.max_output_side, "side over the limit: {ow}×{oh}");
    assert!(u64::from(ow) * u64::from(oh) <= limits.max_output_pixels, "pixels over the limit: {ow}×{oh}");
    Some((ow, oh))
}

/// A source size taken from the input itself, so the fuzzer can steer it too.
fn from_input(data: &[u8]) -> (u32, u32) {
    let hash =
        data.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3));
    (1 + (hash % 20_000) as u32, 1 + ((hash >> 32) % 20_000) as u32)
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(m) = parse(text) else { return };
    let limits = Limits::default();
    for source in SOURCES.into_iter().chain([from_input(data)]) {
        check_plan(&m, source, &limits);
        check_plan(&m, source, &tiny());
    }
    for (source, size) in [(PNG_RGBA, (7, 5)), (JPEG_EXIF6, (6, 9))] {
        let Some(planned) = check_plan(&m, size, &tiny()) else { continue };
        if let Ok(r) = render(source, &m, &tiny()) {
            assert_eq!((r.width, r.height), planned, "rendered size differs from the plan for {text:?}");
            assert!(!r.bytes.is_empty());
        }
    }
});
