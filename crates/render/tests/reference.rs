//! Pixel comparisons against libvips renders of the same photos (references and the commands
//! that made them: tests/fixtures/reference/). Resampling must reach a PSNR floor; pure pixel
//! moves (crop, flip, quarter turns) must match exactly.

mod common;

use common::{decoded, run};
use image::DynamicImage;

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

fn reference(name: &str) -> DynamicImage {
    image::load_from_memory(&fixture(&format!("reference/{name}"))).unwrap()
}

/// Peak signal-to-noise ratio over RGB, in dB (infinite when identical).
fn psnr(a: &DynamicImage, b: &DynamicImage) -> f64 {
    assert_eq!((a.width(), a.height()), (b.width(), b.height()), "sizes differ");
    let (a, b) = (a.to_rgb8(), b.to_rgb8());
    let se: f64 =
        a.as_raw().iter().zip(b.as_raw()).map(|(&x, &y)| (f64::from(x) - f64::from(y)).powi(2)).sum();
    let mse = se / a.as_raw().len() as f64;
    if mse == 0.0 { f64::INFINITY } else { 10.0 * (255.0f64 * 255.0 / mse).log10() }
}

fn psnr_against(source: &str, modifier: &str, reference_name: &str) -> f64 {
    let ours = decoded(&run(&fixture(source), &format!("{modifier}&fmt=png")));
    psnr(&ours, &reference(reference_name))
}

fn compare(source: &str, modifier: &str, reference_name: &str, floor_db: f64) {
    let db = psnr_against(source, modifier, reference_name);
    assert!(db >= floor_db, "{source} {modifier}: {db:.1} dB against {reference_name}, floor {floor_db} dB");
}

#[test]
fn halving_a_png_with_bicubic_matches_libvips_cubic() {
    compare("astronaut.png", "wid=256", "astronaut_wid256.png", 35.0);
}

#[test]
fn halving_a_jpeg_matches_libvips_cubic() {
    compare("rocket.jpg", "wid=320", "rocket_wid320.png", 35.0);
}

#[test]
fn quartering_a_gray_png_matches_libvips() {
    compare("camera.png", "hei=128", "camera_hei128.png", 35.0);
}

#[test]
fn a_jpeg_downscale_through_shrink_on_load_matches_vipsthumbnail() {
    compare("hubble_deep_field.jpg", "wid=250", "hubble_wid250.png", 35.0);
}

#[test]
fn quality_res_modes_leave_a_filtered_reduction_after_shrink_on_load() {
    // The default decodes at the largest DCT scale covering the target (fast, a box filter);
    // sharp2 keeps vipsthumbnail's 2× margin for the Lanczos filter, so it lands closer to it.
    let fast = psnr_against("hubble_deep_field.jpg", "wid=250", "hubble_wid250.png");
    let quality = psnr_against("hubble_deep_field.jpg", "wid=250&resMode=sharp2", "hubble_wid250.png");
    eprintln!("hubble wid=250 vs vipsthumbnail: bicub {fast:.1} dB, sharp2 {quality:.1} dB");
    assert!(fast >= 35.0, "default: {fast:.1} dB");
    assert!(quality >= fast + 1.0, "sharp2 {quality:.1} dB is not clearly closer than bicub {fast:.1} dB");
}

#[test]
fn fit_crop_matches_a_centre_cropped_vipsthumbnail() {
    compare("chelsea.png", "wid=200&hei=200&fit=crop", "chelsea_200_fit_crop.png", 35.0);
}

#[test]
fn fit_padding_matches_vipsthumbnail_embedded_on_white() {
    compare("astronaut.png", "wid=300&hei=200", "astronaut_300x200_fit.png", 35.0);
}

#[test]
fn a_quarter_turn_matches_libvips_exactly() {
    compare("coffee.png", "rotate=90", "coffee_rotate90.png", f64::INFINITY);
}

#[test]
fn a_half_turn_matches_libvips_exactly() {
    compare("coffee.png", "rotate=180", "coffee_rotate180.png", f64::INFINITY);
}

#[test]
fn a_left_right_flip_matches_libvips_exactly() {
    compare("coffee.png", "flip=lr", "coffee_flip_lr.png", f64::INFINITY);
}

#[test]
fn a_crop_matches_libvips_exactly() {
    compare("coffee.png", "crop=100,50,300,200", "coffee_crop.png", f64::INFINITY);
}
