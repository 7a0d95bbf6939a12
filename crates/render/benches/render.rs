//! Engine throughput on the committed photos, upscaled in-process to camera-like sizes.
//! Run: `cargo bench -p ipscopy-render` (libvips comparison: scripts/bench-vs-libvips.sh).

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use ipscopy_render::{Limits, parse, render};

const HUBBLE: &[u8] = include_bytes!("../tests/fixtures/hubble_deep_field.jpg");
const ASTRONAUT: &[u8] = include_bytes!("../tests/fixtures/astronaut.png");

fn make(source: &[u8], modifier: &str) -> Vec<u8> {
    render(source, &parse(modifier).unwrap(), &Limits::default()).unwrap().bytes
}

fn engine(c: &mut Criterion) {
    let jpeg_12mp = make(HUBBLE, "wid=4000&qlt=90&resMode=bilin");
    let png_4mp = make(ASTRONAUT, "wid=2048&fmt=png&resMode=bilin");
    let limits = Limits::default();
    let cases: [(&str, &[u8], &str); 6] = [
        ("jpeg_12mp_to_wid500_q85", &jpeg_12mp, "wid=500&qlt=85"),
        ("jpeg_12mp_crop_resize_800x600", &jpeg_12mp, "wid=800&hei=600&fit=crop&qlt=85"),
        ("jpeg_12mp_rotate90_q85", &jpeg_12mp, "rotate=90&qlt=85"),
        ("jpeg_12mp_to_webp_q80", &jpeg_12mp, "fmt=webp&qlt=80"),
        ("png_4mp_to_png_wid1024", &png_4mp, "wid=1024&fmt=png"),
        ("jpeg_12mp_to_wid500_usm_sharp2", &jpeg_12mp, "wid=500&resMode=sharp2&op_usm=1.75,0.3,2,0"),
    ];
    let mut group = c.benchmark_group("render");
    group.sample_size(10).measurement_time(Duration::from_secs(8));
    for (name, source, modifier) in cases {
        let m = parse(modifier).unwrap();
        group.bench_function(name, |b| b.iter(|| render(black_box(source), &m, &limits).unwrap()));
    }
    group.finish();
    c.bench_function("parse_real_world_preset", |b| {
        b.iter(|| {
            parse(black_box(
                "wid=547&hei=547&fmt=jpeg&qlt=90%2C0&resMode=trilin&op_usm=0.8%2C1.0%2C6%2C0&iccEmbed=0",
            ))
        })
    });
}

criterion_group!(benches, engine);
criterion_main!(benches);
