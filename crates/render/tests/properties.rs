//! Property test over random valid modifiers: the engine never panics, every render succeeds or
//! fails with a limit the plan predicted, and the output has exactly the planned size.

mod common;

use common::{decoded, jpeg, png, ramp};
use image::{DynamicImage, Rgba, RgbaImage};
use ipscopy_render::{Limits, parse, planned_size, render};
use proptest::prelude::*;

fn sources() -> [(Vec<u8>, (u32, u32)); 2] {
    let alpha = RgbaImage::from_fn(23, 31, |x, y| {
        Rgba([x as u8 * 9, y as u8 * 7, 90, if (x + y) % 3 == 0 { 0 } else { 255 }])
    });
    [(jpeg(&ramp(37, 29)), (37, 29)), (png(&DynamicImage::ImageRgba8(alpha)), (23, 31))]
}

fn command() -> impl Strategy<Value = String> {
    prop_oneof![
        (1u32..120).prop_map(|v| format!("wid={v}")),
        (1u32..120).prop_map(|v| format!("hei={v}")),
        (0.2f64..4.0).prop_map(|v| format!("scl={v:.3}")),
        (prop::sample::select(vec!["fit", "constrain", "crop", "wrap", "stretch", "hfit", "vfit"]), 0u8..2)
            .prop_map(|(m, u)| format!("fit={m},{u}")),
        (-1.0f64..=1.0, -1.0f64..=1.0).prop_map(|(h, v)| format!("align={h:.2},{v:.2}")),
        (-20i64..40, -20i64..40, 1i64..60, 1i64..60).prop_map(|(x, y, w, h)| format!("crop={x},{y},{w},{h}")),
        (0.0f64..0.5, 0.0f64..0.5, 0.1f64..1.0, 0.1f64..1.0)
            .prop_map(|(x, y, w, h)| format!("cropN={x:.2},{y:.2},{w:.2},{h:.2}")),
        (1u32..80, 0u32..80).prop_map(|(w, h)| format!("size={w},{h}")),
        (0.1f64..3.0).prop_map(|v| format!("scale={v:.3}")),
        prop::sample::select(vec!["flip=lr", "flip=ud", "flip=lrud"]).prop_map(String::from),
        (-400.0f64..400.0).prop_map(|v| format!("rotate={v:.1}")),
        prop::sample::select(vec![0, 90, 180, 270, -90]).prop_map(|v| format!("rotate={v}")),
        (-5i64..10, -5i64..10, -5i64..10, -5i64..10)
            .prop_map(|(l, t, r, b)| format!("extend={l},{t},{r},{b}")),
        (0u32..60, 0u32..60, 1u32..50, 1u32..50).prop_map(|(x, y, w, h)| format!("rect={x},{y},{w},{h}")),
        (0.5f64..3.0).prop_map(|v| format!("dpr=on,{v:.2}")),
        prop::sample::select(vec![
            "fmt=png",
            "fmt=png-alpha",
            "fmt=jpeg,gray",
            "fmt=webp",
            "fmt=webp-alpha,,lossless",
            "fmt=gif-alpha",
            "fmt=png8",
            "fmt=tif-alpha,,zip",
            "fmt=pjpeg",
            "bgc=336699",
            "resMode=bilin",
            "resMode=sharp2",
            "resMode=trilin",
            "op_sharpen=1",
            "op_usm=1,1,2,1",
            "op_blur=3",
            "op_invert=1",
            "op_hue=45",
            "op_colorize=ff8800,norm,50",
            "op_noise=20,gaussian,1",
            "opac=50",
            "bgColor=00ff0080",
            "color=ff0000",
        ])
        .prop_map(String::from),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn renders_have_exactly_the_planned_size(commands in prop::collection::vec(command(), 0..6), which in 0usize..2) {
        let modifier = commands.join("&");
        let Ok(m) = parse(&modifier) else {
            // Only `fit` without a size is a cross-command error among these commands.
            prop_assert!(modifier.contains("fit=") && !modifier.contains("wid=") && !modifier.contains("hei="), "{modifier}");
            return Ok(());
        };
        let [a, b] = sources();
        let (source, (w, h)) = if which == 0 { a } else { b };
        let limits = Limits { max_output_side: 2000, max_output_pixels: 1_000_000, max_intermediate_pixels: 4_000_000, ..Limits::default() };
        let planned = planned_size(&m, w, h, &limits);
        match render(&source, &m, &limits) {
            Ok(r) => {
                prop_assert_eq!(planned.ok(), Some((r.width, r.height)), "{}", modifier);
                decoded(&r);
            }
            Err(e) => {
                prop_assert_eq!(e.code(), "LimitExceeded", "{}: {}", modifier, e);
                prop_assert!(planned.is_err(), "{modifier}: render refused what the plan accepted: {e}");
            }
        }
    }
}
