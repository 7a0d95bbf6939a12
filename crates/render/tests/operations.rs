//! The colour and layer operations of spec §3.4 and §3.2 (N tier) as a user sees them.

mod common;

use common::*;

#[test]
fn colour_ops_leave_the_view_padding_in_bgc() {
    let img = decoded(&run(source_a(), "wid=500&hei=500&op_invert=1&fmt=png"));
    assert_eq!(rgb_at(&img, 250, 10), [255, 255, 255]);
    // The image itself is inverted: source ≈ (0, 0, 40) at the top-left becomes ≈ (255, 255, 215).
    assert!(near(rgb_at(&img, 2, 64), [254, 254, 215], 6), "{:?}", rgb_at(&img, 2, 64));
}

#[test]
fn colour_ops_do_not_paint_the_transparent_outside_of_a_crop() {
    let img = decoded(&run(source_a(), "crop=1500,1000,1000,1000&op_invert=1&fmt=png"));
    assert_eq!(rgb_at(&img, 750, 750), [255, 255, 255], "outside stays bgc, not inverted bgc");
    assert!(near(rgb_at(&img, 250, 250), [80, 88, 215], 6), "{:?}", rgb_at(&img, 250, 250));
}

#[test]
fn brightness_raises_every_channel() {
    let plain = decoded(&run(source_a(), "wid=200&fmt=png"));
    let bright = decoded(&run(source_a(), "wid=200&fmt=png&op_brightness=20"));
    let (p, b) = (rgb_at(&plain, 100, 75), rgb_at(&bright, 100, 75));
    for c in 0..3 {
        assert!(b[c].abs_diff(p[c].saturating_add(51)) <= 1, "{p:?} -> {b:?}");
    }
}

#[test]
fn opacity_mixes_the_image_with_the_background() {
    let img = decoded(&run(source_a(), "wid=200&fmt=png&opac=50&bgc=000000"));
    let plain = decoded(&run(source_a(), "wid=200&fmt=png"));
    let (p, o) = (rgb_at(&plain, 150, 100), rgb_at(&img, 150, 100));
    for c in 0..3 {
        assert!(o[c].abs_diff(p[c] / 2) <= 2, "{p:?} at 50 % over black -> {o:?}");
    }
}

#[test]
fn bg_color_fills_the_corners_left_by_a_free_rotation() {
    let img = decoded(&run(source_a(), "rotate=45&wid=500&bgColor=ff0000&fmt=png"));
    assert_eq!(rgb_at(&img, 3, 3), [255, 0, 0]);
    assert!(!near(rgb_at(&img, 250, 250), [255, 0, 0], 40));
}

#[test]
fn color_fills_transparent_source_pixels() {
    let img = decoded(&run(source_p(), "wid=100&color=00ff00&fmt=png-alpha"));
    assert_eq!(img.to_rgba8().get_pixel(2, 2).0, [0, 255, 0, 255]);
}

#[test]
fn blur_softens_a_hard_edge() {
    // P's disc edge: without blur the step is sharp; with blur a pixel on the edge is a mix.
    let sharp = decoded(&run(source_p(), "wid=200&fmt=png"));
    let soft = decoded(&run(source_p(), "wid=200&fmt=png&op_blur=20"));
    let row = |img: &image::DynamicImage| (30..70).map(|x| rgb_at(img, x, 100)[2]).collect::<Vec<_>>();
    let steps = |v: &[u8]| v.windows(2).map(|w| w[0].abs_diff(w[1])).max().unwrap();
    assert!(steps(&row(&soft)) < steps(&row(&sharp)) / 2, "{:?} vs {:?}", row(&soft), row(&sharp));
}

#[test]
fn colorize_maps_mid_gray_to_the_target_colour() {
    let gray = image::RgbImage::from_pixel(20, 20, image::Rgb([128, 128, 128]));
    let img = decoded(&run(&png(&image::DynamicImage::ImageRgb8(gray)), "op_colorize=ff0000,off&fmt=png"));
    assert!(near(rgb_at(&img, 10, 10), [255, 2, 2], 3), "{:?}", rgb_at(&img, 10, 10));
}

#[test]
fn noise_is_reproducible() {
    let a = run(source_c(), "op_noise=30,gaussian&fmt=png");
    let b = run(source_c(), "op_noise=30,gaussian&fmt=png");
    assert_eq!(a.bytes, b.bytes, "the engine is pure: same input, same bytes");
    let plain = run(source_c(), "fmt=png");
    assert_ne!(a.bytes, plain.bytes);
}

#[test]
fn unsharp_mask_increases_local_contrast() {
    let plain = decoded(&run(source_p(), "wid=200&fmt=png"));
    let usm = decoded(&run(source_p(), "wid=200&fmt=png&op_usm=3,2,0,0"));
    let row =
        |img: &image::DynamicImage| (30..70).map(|x| i32::from(rgb_at(img, x, 100)[2])).collect::<Vec<_>>();
    let range = |v: Vec<i32>| v.iter().max().unwrap() - v.iter().min().unwrap();
    assert!(range(row(&usm)) > range(row(&plain)), "overshoot at the disc edge");
}
