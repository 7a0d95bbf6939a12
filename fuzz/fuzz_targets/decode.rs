//! Image bytes from anywhere: probing and rendering never panic, and small limits refuse a
//! bomb before it is allocated (the run's RSS limit turns any large allocation into a crash).
#![no_main]

use std::sync::OnceLock;

use ipscopy_render::{Limits, Modifier, parse, probe, render};
use libfuzzer_sys::fuzz_target;

/// Modifiers that take different paths: JPEG shrink-on-load, a staged free rotation with
/// alpha, and a crop past the edges with a palette output.
const MODIFIERS: [&str; 3] =
    ["wid=32&fmt=jpeg", "rotate=30&extend=1,1,1,1&fmt=png-alpha", "crop=-2,-2,40,40&scl=2&fmt=gif"];

fn modifiers() -> &'static [Modifier] {
    static M: OnceLock<Vec<Modifier>> = OnceLock::new();
    M.get_or_init(|| MODIFIERS.iter().map(|m| parse(m).expect(m)).collect())
}

fn limits() -> Limits {
    Limits {
        max_source_pixels: 1 << 20,
        max_output_pixels: 1 << 16,
        max_output_side: 1024,
        max_intermediate_pixels: 1 << 20,
        max_intermediate_side: 4096,
        max_encoded_bytes: 1 << 20,
        max_source_frames: 64,
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(info) = probe(data) else { return };
    let limits = limits();
    for m in modifiers() {
        match render(data, m, &limits) {
            Ok(r) => {
                assert!(u64::from(info.width) * u64::from(info.height) <= limits.max_source_pixels);
                assert!(u64::from(r.width) * u64::from(r.height) <= limits.max_output_pixels);
                assert!(r.bytes.len() <= limits.max_encoded_bytes);
            }
            Err(e) => assert_ne!(e.code(), "RenderFailed", "an internal error on hostile bytes: {e}"),
        }
    }
});
