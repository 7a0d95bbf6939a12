//! Every worked example of spec §8 (sources A, B, C, P, X): size, format and known pixels.

mod common;

use common::*;
use image::{ColorType, GenericImageView};
use ipscopy_render::OutputFormat;

fn size_and_format(
    source: &[u8],
    modifier: &str,
    w: u32,
    h: u32,
    format: OutputFormat,
) -> image::DynamicImage {
    let r = run(source, modifier);
    assert_eq!((r.width, r.height, r.format), (w, h, format), "{modifier}");
    decoded(&r)
}

fn jpeg_out(source: &[u8], modifier: &str, w: u32, h: u32) -> image::DynamicImage {
    size_and_format(source, modifier, w, h, OutputFormat::Jpeg)
}

#[test]
fn example_01_wid_alone_keeps_the_aspect_ratio() {
    jpeg_out(source_a(), "wid=500", 500, 375);
}

#[test]
fn example_02_hei_alone_keeps_the_aspect_ratio() {
    jpeg_out(source_a(), "hei=300", 400, 300);
}

#[test]
fn example_03_wid_and_hei_pad_with_white_bands_62_above_and_63_below() {
    let img = jpeg_out(source_a(), "wid=500&hei=500", 500, 500);
    assert!(is_white(rgb_at(&img, 250, 30)));
    assert!(!is_white(rgb_at(&img, 250, 250)));
    assert!(is_white(rgb_at(&img, 250, 470)));
    // The exact band edges, in a lossless copy of the same geometry.
    let png = decoded(&run(source_a(), "wid=500&hei=500&fmt=png"));
    assert_eq!(rgb_at(&png, 250, 61), [255, 255, 255]);
    assert!(!is_white(rgb_at(&png, 250, 62)));
    assert!(!is_white(rgb_at(&png, 250, 436)));
    assert_eq!(rgb_at(&png, 250, 437), [255, 255, 255]);
}

#[test]
fn example_04_align_top_left_puts_the_whole_band_at_the_bottom() {
    let img = jpeg_out(source_a(), "wid=500&hei=500&align=-1,-1", 500, 500);
    assert!(!is_white(rgb_at(&img, 250, 5)));
    assert!(is_white(rgb_at(&img, 250, 400)));
    let png = decoded(&run(source_a(), "wid=500&hei=500&align=-1,-1&fmt=png"));
    assert!(!is_white(rgb_at(&png, 250, 0)));
    assert!(!is_white(rgb_at(&png, 250, 374)));
    assert_eq!(rgb_at(&png, 250, 375), [255, 255, 255]);
}

#[test]
fn example_05_a_portrait_source_gets_bands_62_left_and_63_right() {
    jpeg_out(source_b(), "wid=500&hei=500", 500, 500);
    let png = decoded(&run(source_b(), "wid=500&hei=500&fmt=png"));
    assert_eq!(rgb_at(&png, 61, 250), [255, 255, 255]);
    assert!(!is_white(rgb_at(&png, 62, 250)));
    assert!(!is_white(rgb_at(&png, 436, 250)));
    assert_eq!(rgb_at(&png, 437, 250), [255, 255, 255]);
}

#[test]
fn example_06_fit_crop_keeps_columns_83_to_582_of_the_667_wide_image() {
    let img = jpeg_out(source_a(), "wid=500&hei=500&fit=crop", 500, 500);
    // Red encodes the source column (x / 10): output column 0 is scaled column 83 ≈ source 249.
    assert!(near(rgb_at(&img, 0, 250), [25, 100, 40], 8), "{:?}", rgb_at(&img, 0, 250));
    assert!(near(rgb_at(&img, 499, 250), [175, 100, 40], 8), "{:?}", rgb_at(&img, 499, 250));
}

#[test]
fn example_07_fit_crop_aligned_right_keeps_the_rightmost_500_columns() {
    let img = jpeg_out(source_a(), "wid=500&hei=500&fit=crop&align=1,0", 500, 500);
    assert!(near(rgb_at(&img, 0, 250), [50, 100, 40], 8), "{:?}", rgb_at(&img, 0, 250));
    assert!(near(rgb_at(&img, 499, 250), [199, 100, 40], 8), "{:?}", rgb_at(&img, 499, 250));
}

#[test]
fn example_08_fit_constrain_returns_the_scaled_image_without_padding() {
    let img = jpeg_out(source_a(), "wid=500&hei=500&fit=constrain", 500, 375);
    assert!(!is_white(rgb_at(&img, 250, 2)));
}

#[test]
fn example_09_fit_wrap_covers_the_box_without_cropping() {
    jpeg_out(source_a(), "wid=500&hei=500&fit=wrap", 667, 500);
}

#[test]
fn example_10_fit_stretch_distorts_to_the_exact_box() {
    let img = jpeg_out(source_a(), "wid=500&hei=500&fit=stretch", 500, 500);
    assert!(near(rgb_at(&img, 499, 499), [200, 200, 40], 8), "{:?}", rgb_at(&img, 499, 499));
    assert!(near(rgb_at(&img, 0, 0), [0, 0, 40], 8), "{:?}", rgb_at(&img, 0, 0));
}

#[test]
fn example_11_vfit_scales_by_height_and_pads_left_and_right() {
    let img = jpeg_out(source_a(), "wid=500&hei=300&fit=vfit", 500, 300);
    assert!(is_white(rgb_at(&img, 20, 150)));
    assert!(!is_white(rgb_at(&img, 250, 150)));
    assert!(is_white(rgb_at(&img, 480, 150)));
}

#[test]
fn example_12_hfit_scales_by_width_and_pads_top_and_bottom() {
    let img = jpeg_out(source_a(), "wid=400&hei=400&fit=hfit", 400, 400);
    assert!(is_white(rgb_at(&img, 200, 20)));
    assert!(!is_white(rgb_at(&img, 200, 200)));
    assert!(is_white(rgb_at(&img, 200, 380)));
}

#[test]
fn example_13_fit_with_upscale_enlarges_to_3000_by_2250_with_375_px_bands() {
    let img = jpeg_out(source_a(), "wid=3000&hei=3000&fit=fit,1", 3000, 3000);
    assert!(is_white(rgb_at(&img, 1500, 360)));
    assert!(!is_white(rgb_at(&img, 1500, 390)));
    assert!(!is_white(rgb_at(&img, 1500, 2610)));
    assert!(is_white(rgb_at(&img, 1500, 2640)));
}

#[test]
fn example_14_fit_without_upscale_centres_the_unscaled_image_at_500_750() {
    let img = jpeg_out(source_a(), "wid=3000&hei=3000&fit=fit", 3000, 3000);
    assert!(is_white(rgb_at(&img, 490, 1500)));
    assert!(near(rgb_at(&img, 510, 760), [1, 1, 40], 8), "{:?}", rgb_at(&img, 510, 760));
    assert!(is_white(rgb_at(&img, 1500, 740)));
    assert!(is_white(rgb_at(&img, 2510, 1500)));
    assert!(is_white(rgb_at(&img, 1500, 2260)));
}

#[test]
fn example_15_constrain_without_upscale_keeps_the_source_size() {
    jpeg_out(source_a(), "wid=3000&hei=3000&fit=constrain,0", 2000, 1500);
}

#[test]
fn example_16_wid_alone_enlarges_a_small_source() {
    jpeg_out(source_c(), "wid=800", 800, 600);
}

#[test]
fn example_17_fit_crop_without_upscale_centres_the_small_source_on_white() {
    let img = jpeg_out(source_c(), "wid=800&hei=800&fit=crop", 800, 800);
    assert!(is_white(rgb_at(&img, 190, 400)));
    assert!(is_white(rgb_at(&img, 400, 240)));
    assert!(near(rgb_at(&img, 205, 255), [2, 3, 40], 8), "{:?}", rgb_at(&img, 205, 255));
    assert!(is_white(rgb_at(&img, 610, 400)));
    assert!(is_white(rgb_at(&img, 400, 560)));
}

#[test]
fn example_18_scl_4_shrinks_by_a_quarter() {
    jpeg_out(source_a(), "scl=4", 500, 375);
}

#[test]
fn example_19_scl_with_a_smaller_box_crops_100_px_each_side_and_75_top_and_bottom() {
    let img = jpeg_out(source_a(), "scl=2&wid=800&hei=600", 800, 600);
    assert!(near(rgb_at(&img, 0, 0), [20, 20, 40], 8), "{:?}", rgb_at(&img, 0, 0));
}

#[test]
fn example_20_scl_with_a_larger_box_places_the_image_at_100_25() {
    let img = jpeg_out(source_a(), "scl=2&wid=1200&hei=800", 1200, 800);
    assert!(is_white(rgb_at(&img, 90, 400)));
    assert!(is_white(rgb_at(&img, 600, 15)));
    assert!(near(rgb_at(&img, 105, 30), [1, 1, 40], 8), "{:?}", rgb_at(&img, 105, 30));
    assert!(is_white(rgb_at(&img, 1110, 400)));
    assert!(is_white(rgb_at(&img, 600, 785)));
}

#[test]
fn example_21_crop_is_not_scaled_in_a_copy() {
    let img = jpeg_out(source_a(), "crop=500,250,1000,1000", 1000, 1000);
    assert!(near(rgb_at(&img, 0, 0), [50, 33, 40], 6), "{:?}", rgb_at(&img, 0, 0));
}

#[test]
fn example_22_normalised_crop_then_wid() {
    let img = jpeg_out(source_a(), "cropN=0.25,0,0.5,1&wid=400", 400, 600);
    assert!(near(rgb_at(&img, 0, 300), [50, 100, 40], 8), "{:?}", rgb_at(&img, 0, 300));
}

#[test]
fn example_23_a_crop_past_the_edge_is_white_outside_the_source() {
    let img = jpeg_out(source_a(), "crop=1500,1000,1000,1000", 1000, 1000);
    assert!(near(rgb_at(&img, 250, 250), [175, 167, 40], 8), "{:?}", rgb_at(&img, 250, 250));
    assert!(is_white(rgb_at(&img, 750, 250)));
    assert!(is_white(rgb_at(&img, 250, 750)));
    assert!(is_white(rgb_at(&img, 750, 750)));
}

#[test]
fn example_24_extend_margins_are_transparent_then_filled_with_bgc() {
    let img = jpeg_out(source_a(), "cropN=.2,.3,.6,.6&extend=5,5,5,5&bgc=ff0000", 1210, 910);
    assert!(near(rgb_at(&img, 1, 455), [255, 0, 0], 12), "{:?}", rgb_at(&img, 1, 455));
    assert!(near(rgb_at(&img, 605, 1), [255, 0, 0], 12), "{:?}", rgb_at(&img, 605, 1));
    assert!(near(rgb_at(&img, 605, 455), [100, 120, 40], 8), "{:?}", rgb_at(&img, 605, 455));
}

#[test]
fn example_25_extend_adds_white_margins() {
    let img = jpeg_out(source_a(), "extend=10,20,10,20", 2020, 1540);
    assert!(is_white(rgb_at(&img, 3, 770)));
    assert!(is_white(rgb_at(&img, 1010, 8)));
    assert!(!is_white(rgb_at(&img, 1010, 770)));
}

#[test]
fn example_26_rotate_90_turns_clockwise_exactly() {
    let img = jpeg_out(source_a(), "rotate=90", 1500, 2000);
    // Clockwise: the source's bottom-left lands top-left, its top-left lands top-right.
    assert!(near(rgb_at(&img, 10, 10), [1, 199, 40], 6), "{:?}", rgb_at(&img, 10, 10));
    assert!(near(rgb_at(&img, 1490, 10), [1, 1, 40], 6), "{:?}", rgb_at(&img, 1490, 10));
    assert!(near(rgb_at(&img, 1490, 1990), [199, 1, 40], 6), "{:?}", rgb_at(&img, 1490, 1990));
}

#[test]
fn example_27_flip_then_counter_clockwise_turn_transposes() {
    let img = jpeg_out(source_a(), "flip=lr&rotate=-90", 1500, 2000);
    assert!(near(rgb_at(&img, 10, 10), [1, 1, 40], 6), "{:?}", rgb_at(&img, 10, 10));
    assert!(near(rgb_at(&img, 1490, 10), [1, 199, 40], 6), "{:?}", rgb_at(&img, 1490, 10));
    assert!(near(rgb_at(&img, 10, 1990), [199, 1, 40], 6), "{:?}", rgb_at(&img, 10, 1990));
}

#[test]
fn example_28_rotate_45_grows_the_box_and_fills_corners_white() {
    let img = jpeg_out(source_a(), "rotate=45&wid=500", 500, 500);
    assert!(is_white(rgb_at(&img, 5, 5)));
    assert!(is_white(rgb_at(&img, 494, 494)));
    assert!(!is_white(rgb_at(&img, 250, 250)));
}

#[test]
fn example_29_rotation_comes_before_view_scaling() {
    jpeg_out(source_b(), "rotate=90&wid=500", 500, 375);
}

#[test]
fn example_30_size_fits_layer_0_inside_the_box() {
    jpeg_out(source_a(), "size=500,500", 500, 375);
}

#[test]
fn example_31_size_with_a_zero_derives_the_height() {
    jpeg_out(source_a(), "size=500,0", 500, 375);
}

#[test]
fn example_32_scale_halves() {
    jpeg_out(source_a(), "scale=0.5", 1000, 750);
}

#[test]
fn example_33_png_without_alpha_fills_bands_with_bgc() {
    let img = size_and_format(source_a(), "fmt=png&bgc=ff0000&wid=500&hei=500", 500, 500, OutputFormat::Png);
    assert_eq!(img.color(), ColorType::Rgb8);
    assert_eq!(rgb_at(&img, 250, 30), [255, 0, 0]);
    assert_eq!(rgb_at(&img, 250, 470), [255, 0, 0]);
}

#[test]
fn example_34_png_alpha_leaves_bands_transparent_and_ignores_bgc() {
    let img =
        size_and_format(source_a(), "fmt=png-alpha&bgc=ff0000&wid=500&hei=500", 500, 500, OutputFormat::Png);
    assert_eq!(img.color(), ColorType::Rgba8);
    assert_eq!(img.get_pixel(250, 30).0[3], 0);
    assert_eq!(img.get_pixel(250, 250).0[3], 255);
}

#[test]
fn example_35_transparent_pixels_are_flattened_onto_white_in_jpeg() {
    let img = jpeg_out(source_p(), "wid=500", 500, 500);
    assert!(is_white(rgb_at(&img, 5, 5)));
    assert!(near(rgb_at(&img, 250, 250), [20, 30, 120], 8), "{:?}", rgb_at(&img, 250, 250));
}

#[test]
fn example_36_png_alpha_keeps_transparency() {
    let img = size_and_format(source_p(), "fmt=png-alpha&wid=500", 500, 500, OutputFormat::Png);
    assert_eq!(img.get_pixel(5, 5).0[3], 0);
    assert_eq!(img.get_pixel(250, 250).0, [20, 30, 120, 255]);
}

#[test]
fn example_37_gif_alpha_with_a_forced_black_and_white_palette_and_a_key_colour() {
    let img = size_and_format(
        source_p(),
        "fmt=gif-alpha&wid=100&quantize=adaptive,off,2,000000,ffffff",
        100,
        100,
        OutputFormat::Gif,
    );
    assert_eq!(img.get_pixel(2, 2).0[3], 0, "corner is the transparent key colour");
    assert_eq!(img.get_pixel(50, 50).0, [0, 0, 0, 255], "dark blue maps to black");
    let colours: std::collections::HashSet<[u8; 4]> =
        img.to_rgba8().pixels().filter(|p| p.0[3] == 255).map(|p| p.0).collect();
    assert!(colours.iter().all(|c| c == &[0, 0, 0, 255] || c == &[255, 255, 255, 255]), "{colours:?}");
}

#[test]
fn example_38_gif_with_16_colours_and_no_dithering() {
    let img =
        size_and_format(source_a(), "fmt=gif&quantize=adaptive,off,16&wid=200", 200, 150, OutputFormat::Gif);
    let colours: std::collections::HashSet<[u8; 4]> = img.to_rgba8().pixels().map(|p| p.0).collect();
    assert!(colours.len() <= 16, "{} colours", colours.len());
    assert!(colours.len() > 4, "an adaptive palette uses its budget: {} colours", colours.len());
}

#[test]
fn example_39_webp_is_lossy_by_default() {
    let r = run(source_a(), "fmt=webp&qlt=80&wid=800");
    assert_eq!((r.width, r.height, r.format), (800, 600, OutputFormat::Webp));
    decoded(&r);
    assert_eq!(&r.bytes[12..16], b"VP8 ", "a lossy (VP8) bitstream");
}

#[test]
fn example_40_webp_alpha_lossless_carries_an_alpha_channel() {
    let r = run(source_a(), "fmt=webp-alpha,,lossless&wid=800");
    assert_eq!((r.width, r.height), (800, 600));
    let img = decoded(&r);
    assert_eq!(&r.bytes[12..16], b"VP8L", "a lossless (VP8L) bitstream");
    assert!(img.color().has_alpha());
    assert!(img.to_rgba8().pixels().all(|p| p.0[3] == 255), "all opaque");
}

#[test]
fn example_41_tif_with_lzw_compression() {
    let r = run(source_a(), "fmt=tif,,lzw&wid=1000");
    assert_eq!((r.width, r.height, r.format), (1000, 750, OutputFormat::Tiff));
    decoded(&r);
    let mut d = tiff::decoder::Decoder::new(std::io::Cursor::new(&r.bytes)).unwrap();
    assert_eq!(d.get_tag_u32(tiff::tags::Tag::Compression).unwrap(), 5, "LZW");
}

#[test]
fn example_42_gray_jpeg_has_a_single_channel() {
    let img = jpeg_out(source_a(), "fmt=jpeg,gray&qlt=60&wid=200", 200, 150);
    assert_eq!(img.color(), ColorType::L8);
}

#[test]
fn example_43_progressive_jpeg_with_four_scans_and_full_chroma() {
    let r = run(source_a(), "fmt=pjpeg&pscan=4&qlt=85,1&wid=600");
    assert_eq!((r.width, r.height, r.format), (600, 450, OutputFormat::Pjpeg));
    decoded(&r);
    let markers = jpeg_markers(&r.bytes);
    let sof = markers.iter().find(|(m, _)| *m == 0xC2).expect("a progressive SOF2 frame");
    assert!(sampling_factors(&sof.1).iter().all(|&f| f == 0x11), "4:4:4");
    // Scans are counted per component (DC + 3 AC bands), as the encoder writes them non-interleaved.
    assert_eq!(markers.iter().filter(|(m, _)| *m == 0xDA).count(), 4 * 3, "4 scans for each of 3 components");
}

#[test]
fn example_44_adobe_starter_set_gives_a_420_jpeg() {
    let r = run(source_a(), "fmt=jpg&qlt=85,0&resMode=sharp2&op_usm=1.75,0.3,2,0&wid=500");
    assert_eq!((r.width, r.height), (500, 375));
    decoded(&r);
    let markers = jpeg_markers(&r.bytes);
    let sof = markers.iter().find(|(m, _)| *m == 0xC0).expect("a baseline frame");
    assert_eq!(sampling_factors(&sof.1)[0], 0x22, "4:2:0");
}

#[test]
fn example_45_a_real_world_preset_with_encoded_commas() {
    let img = jpeg_out(
        source_a(),
        "wid=547&hei=547&fmt=jpeg&qlt=90%2C0&resMode=trilin&op_usm=0.8%2C1.0%2C6%2C0&iccEmbed=0&op_sharpen=1",
        547,
        547,
    );
    assert!(is_white(rgb_at(&img, 273, 60)));
    assert!(!is_white(rgb_at(&img, 273, 76)));
    assert!(!is_white(rgb_at(&img, 273, 470)));
    assert!(is_white(rgb_at(&img, 273, 486)));
}

#[test]
fn example_46_names_and_keywords_are_case_insensitive() {
    size_and_format(source_a(), "WID=500&Fmt=PNG", 500, 375, OutputFormat::Png);
}

#[test]
fn example_47_the_last_occurrence_wins() {
    jpeg_out(source_a(), "wid=500&wid=800", 800, 600);
}

#[test]
fn example_48_comments_are_ignored_and_chroma_flag_gives_444() {
    let r = run(source_a(), "wid=500&.build=42&qlt=90,1");
    assert_eq!((r.width, r.height), (500, 375));
    let markers = jpeg_markers(&r.bytes);
    let sof = markers.iter().find(|(m, _)| *m == 0xC0).expect("a baseline frame");
    assert!(sampling_factors(&sof.1).iter().all(|&f| f == 0x11), "4:4:4");
}

#[test]
fn example_49_align_is_ignored_with_one_dimension() {
    jpeg_out(source_a(), "hei=300&align=1,1", 400, 300);
}

#[test]
fn example_50_full_desaturation_keeps_three_channels_but_looks_gray() {
    let img = jpeg_out(source_a(), "op_saturation=-100&wid=500", 500, 375);
    assert_eq!(img.color(), ColorType::Rgb8);
    let [r, g, b] = rgb_at(&img, 400, 300);
    assert!(r.abs_diff(g) <= 3 && g.abs_diff(b) <= 3, "{r} {g} {b}");
}

#[test]
fn example_51_dpr_multiplies_the_requested_size() {
    jpeg_out(source_a(), "dpr=on,2&wid=500", 1000, 750);
}

#[test]
fn example_52_rect_cuts_the_top_left_quarter_of_the_view() {
    let img = jpeg_out(source_a(), "scl=2&rect=0,0,500,375", 500, 375);
    assert!(near(rgb_at(&img, 498, 373), [100, 100, 40], 8), "{:?}", rgb_at(&img, 498, 373));
}

#[test]
fn example_53_exif_orientation_is_applied_before_planning() {
    let img = jpeg_out(source_x(), "wid=500", 500, 667);
    assert!(near(rgb_at(&img, 400, 100), [255, 0, 0], 16), "{:?}", rgb_at(&img, 400, 100));
    assert!(near(rgb_at(&img, 100, 100), [0, 0, 255], 16), "{:?}", rgb_at(&img, 100, 100));
    assert!(near(rgb_at(&img, 400, 600), [0, 0, 255], 16), "{:?}", rgb_at(&img, 400, 600));
}

#[test]
fn example_54_print_resolution_is_written_without_touching_pixels() {
    let r = run(source_a(), "printRes=300&wid=500");
    assert_eq!((r.width, r.height), (500, 375));
    let app0 = jpeg_markers(&r.bytes).into_iter().find(|(m, _)| *m == 0xE0).expect("a JFIF header");
    assert_eq!(&app0.1[..5], b"JFIF\0");
    assert_eq!(app0.1[7], 1, "dots per inch");
    assert_eq!(u16::from_be_bytes([app0.1[8], app0.1[9]]), 300);
    assert_eq!(u16::from_be_bytes([app0.1[10], app0.1[11]]), 300);
}

/// (marker, segment body) pairs up to the end of the file, skipping entropy-coded data.
fn jpeg_markers(data: &[u8]) -> Vec<(u8, Vec<u8>)> {
    let mut out = Vec::new();
    let mut i = 2;
    while i + 4 <= data.len() {
        if data[i] != 0xFF
            || data[i + 1] == 0x00
            || (0xD0..=0xD7).contains(&data[i + 1])
            || data[i + 1] == 0xFF
        {
            i += 1;
            continue;
        }
        let marker = data[i + 1];
        if marker == 0xD9 {
            break;
        }
        let len = u16::from_be_bytes([data[i + 2], data[i + 3]]) as usize;
        out.push((marker, data[i + 4..i + 2 + len].to_vec()));
        i += 2 + len;
    }
    out
}

/// Per-component sampling bytes of a SOF body.
fn sampling_factors(sof: &[u8]) -> Vec<u8> {
    (0..usize::from(sof[5])).map(|c| sof[6 + c * 3 + 1]).collect()
}
