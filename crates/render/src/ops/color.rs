//! The colour operations of spec §3.4 with the formulas of §6.3, in the order of §6.2 step 9.

use super::sharpen;
use crate::modifier::{ColorOps, Colorize, Noise};
use crate::raster::Raster;

pub(crate) fn apply(img: &mut Raster, ops: &ColorOps) {
    let per_pixel = ops.brightness != 0
        || ops.contrast != 0
        || ops.colorbalance != [0; 3]
        || ops.hue != 0
        || ops.saturation != 0
        || ops.invert;
    if per_pixel {
        let lut = tone_lut(ops);
        let (hue, sat) = (ops.hue as f32, 1.0 + ops.saturation as f32 / 100.0);
        for p in img.data.chunks_exact_mut(img.ch) {
            let mut rgb = [lut[0][p[0] as usize], lut[1][p[1] as usize], lut[2][p[2] as usize]];
            if hue != 0.0 || sat != 1.0 {
                rgb = hsl_adjust(rgb, hue, sat);
            }
            for c in 0..3 {
                let v = if ops.invert { 1.0 - rgb[c] } else { rgb[c] };
                p[c] = (v * 255.0).round().clamp(0.0, 255.0) as u8;
            }
        }
    }
    if let Some(c) = ops.colorize {
        colorize(img, c);
    }
    if ops.blur > 0.0 {
        sharpen::blur(img, ops.blur);
    }
    if let Some(n) = ops.noise.filter(|n| n.amount > 0) {
        noise(img, n);
    }
}

/// Brightness, contrast and colour balance per channel, as 0…1 values (clamped after each op).
fn tone_lut(ops: &ColorOps) -> [[f32; 256]; 3] {
    let mut lut = [[0f32; 256]; 3];
    let b = ops.brightness as f32 / 100.0;
    let k = 1.0 + ops.contrast as f32 / 100.0;
    for (c, table) in lut.iter_mut().enumerate() {
        let bal = ops.colorbalance[c] as f32 / 100.0;
        for (i, v) in table.iter_mut().enumerate() {
            let mut x = i as f32 / 255.0;
            x = (x + b).clamp(0.0, 1.0);
            x = (0.5 + (x - 0.5) * k).clamp(0.0, 1.0);
            x = (x + bal).clamp(0.0, 1.0);
            *v = x;
        }
    }
    lut
}

fn hsl_adjust([r, g, b]: [f32; 3], hue_deg: f32, sat_mul: f32) -> [f32; 3] {
    let max = r.max(g).max(b);
    let min = r.min(g).min(b);
    let l = (max + min) / 2.0;
    let d = max - min;
    if d == 0.0 {
        return [r, g, b];
    }
    let s = if l > 0.5 { d / (2.0 - max - min) } else { d / (max + min) };
    let mut h = if max == r {
        (g - b) / d + if g < b { 6.0 } else { 0.0 }
    } else if max == g {
        (b - r) / d + 2.0
    } else {
        (r - g) / d + 4.0
    } * 60.0;
    h = (h + hue_deg).rem_euclid(360.0);
    let s = (s * sat_mul).clamp(0.0, 1.0);
    hsl_to_rgb(h, s, l)
}

fn hsl_to_rgb(h: f32, s: f32, l: f32) -> [f32; 3] {
    if s == 0.0 {
        return [l, l, l];
    }
    let q = if l < 0.5 { l * (1.0 + s) } else { l + s - l * s };
    let p = 2.0 * l - q;
    let channel = |t: f32| {
        let t = t.rem_euclid(1.0);
        if t < 1.0 / 6.0 {
            p + (q - p) * 6.0 * t
        } else if t < 0.5 {
            q
        } else if t < 2.0 / 3.0 {
            p + (q - p) * (2.0 / 3.0 - t) * 6.0
        } else {
            p
        }
    };
    let h = h / 360.0;
    [channel(h + 1.0 / 3.0), channel(h), channel(h - 1.0 / 3.0)]
}

fn luma(p: &[u8]) -> f32 {
    (0.299 * f32::from(p[0]) + 0.587 * f32::from(p[1]) + 0.114 * f32::from(p[2])) / 255.0
}

fn colorize(img: &mut Raster, c: Colorize) {
    let ch = img.ch;
    let (shift, stretch) = if c.normalize {
        let mut hist = [0u64; 256];
        let mut lo = 255usize;
        let mut hi = 0usize;
        for p in img.data.chunks_exact(ch) {
            let v = (luma(p) * 255.0).round() as usize;
            hist[v] += 1;
            lo = lo.min(v);
            hi = hi.max(v);
        }
        let total: u64 = hist.iter().sum();
        let mut seen = 0;
        let median = hist
            .iter()
            .position(|&n| {
                seen += n;
                seen * 2 >= total
            })
            .unwrap_or(128) as f32
            / 255.0;
        let range = (hi.saturating_sub(lo)) as f32 / 255.0;
        let stretch = if c.contrast > 0.0 && range > 0.0 { (c.contrast as f32 / 100.0) / range } else { 1.0 };
        (0.5 - median, stretch)
    } else {
        (0.0, 1.0)
    };
    let target = c.color.0.map(|v| f32::from(v) / 255.0);
    for p in img.data.chunks_exact_mut(ch) {
        let l = (0.5 + (luma(p) + shift - 0.5) * stretch).clamp(0.0, 1.0);
        for i in 0..3 {
            let v =
                if l <= 0.5 { target[i] * l * 2.0 } else { target[i] + (1.0 - target[i]) * (l - 0.5) * 2.0 };
            p[i] = (v * 255.0).round().clamp(0.0, 255.0) as u8;
        }
    }
}

/// Deterministic noise: a fixed-seed generator keeps renders reproducible (the engine is pure).
fn noise(img: &mut Raster, n: Noise) {
    let amp = f32::from(n.amount) / 100.0 * 255.0;
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 40) as f32 / (1u64 << 24) as f32
    };
    let mut sample = |gaussian: bool| -> f32 {
        if gaussian {
            let (u1, u2) = (next().max(1e-7), next());
            (-2.0 * u1.ln()).sqrt() * (std::f32::consts::TAU * u2).cos() * (amp / 2.0)
        } else {
            (next() * 2.0 - 1.0) * amp
        }
    };
    let ch = img.ch;
    for p in img.data.chunks_exact_mut(ch) {
        let mono = if n.monochrome { sample(n.gaussian) } else { 0.0 };
        for c in p.iter_mut().take(3) {
            let d = if n.monochrome { mono } else { sample(n.gaussian) };
            *c = (f32::from(*c) + d).round().clamp(0.0, 255.0) as u8;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one_pixel(rgb: [u8; 3], ops: ColorOps) -> [u8; 3] {
        let mut r = Raster { w: 1, h: 1, ch: 3, data: rgb.to_vec() };
        apply(&mut r, &ops);
        [r.data[0], r.data[1], r.data[2]]
    }

    #[test]
    fn full_desaturation_turns_a_colour_gray() {
        let [r, g, b] = one_pixel([200, 50, 50], ColorOps { saturation: -100, ..Default::default() });
        assert!(r == g && g == b, "{r} {g} {b}");
    }

    #[test]
    fn invert_gives_the_negative() {
        assert_eq!(one_pixel([0, 100, 255], ColorOps { invert: true, ..Default::default() }), [255, 155, 0]);
    }

    #[test]
    fn contrast_minus_100_flattens_to_middle_gray() {
        assert_eq!(
            one_pixel([0, 30, 255], ColorOps { contrast: -100, ..Default::default() }),
            [128, 128, 128]
        );
    }

    #[test]
    fn a_hue_turn_of_120_degrees_maps_red_to_green() {
        assert_eq!(one_pixel([255, 0, 0], ColorOps { hue: 120, ..Default::default() }), [0, 255, 0]);
    }

    #[test]
    fn brightness_adds_a_fraction_of_full_scale() {
        assert_eq!(
            one_pixel([0, 100, 250], ColorOps { brightness: 20, ..Default::default() }),
            [51, 151, 255]
        );
    }
}
