//! Gaussian blur, `op_sharpen` and the unsharp mask (spec §6.3), on the final view image.

use crate::modifier::Usm;
use crate::raster::Raster;

/// Separable Gaussian blur of one f32 plane (edges clamp).
pub(crate) fn gaussian(plane: &[f32], w: usize, h: usize, sigma: f64) -> Vec<f32> {
    if sigma <= 0.0 || w == 0 || h == 0 {
        return plane.to_vec();
    }
    let radius = (sigma * 3.0).ceil().max(1.0) as isize;
    let mut kernel: Vec<f32> =
        (-radius..=radius).map(|i| (-(i * i) as f64 / (2.0 * sigma * sigma)).exp() as f32).collect();
    let sum: f32 = kernel.iter().sum();
    kernel.iter_mut().for_each(|k| *k /= sum);
    let clamp = |v: isize, n: usize| v.clamp(0, n as isize - 1) as usize;
    let mut tmp = vec![0f32; w * h];
    for y in 0..h {
        let row = &plane[y * w..(y + 1) * w];
        for x in 0..w {
            let mut acc = 0.0;
            for (k, &kv) in kernel.iter().enumerate() {
                acc += row[clamp(x as isize + k as isize - radius, w)] * kv;
            }
            tmp[y * w + x] = acc;
        }
    }
    let mut out = vec![0f32; w * h];
    for y in 0..h {
        for x in 0..w {
            let mut acc = 0.0;
            for (k, &kv) in kernel.iter().enumerate() {
                acc += tmp[clamp(y as isize + k as isize - radius, h) * w + x] * kv;
            }
            out[y * w + x] = acc;
        }
    }
    out
}

/// Splits into f32 planes, premultiplying colour by alpha so blurs do not bleed transparent colour.
pub(crate) fn planes(img: &Raster) -> Vec<Vec<f32>> {
    let n = img.w as usize * img.h as usize;
    let mut planes = vec![Vec::with_capacity(n); img.ch];
    for p in img.data.chunks_exact(img.ch) {
        let a = if img.ch == 4 { f32::from(p[3]) / 255.0 } else { 1.0 };
        for c in 0..img.ch {
            let v = f32::from(p[c]);
            planes[c].push(if img.ch == 4 && c < 3 { v * a } else { v });
        }
    }
    planes
}

/// Joins f32 planes back, undoing the premultiplication and clamping to 0..255.
pub(crate) fn join(img: &mut Raster, planes: &[Vec<f32>]) {
    let ch = img.ch;
    for (i, p) in img.data.chunks_exact_mut(ch).enumerate() {
        let a = if ch == 4 { planes[3][i].clamp(0.0, 255.0) } else { 255.0 };
        for c in 0..ch {
            let mut v = planes[c][i];
            if ch == 4 && c < 3 {
                v = if a > 0.0 { v * 255.0 / a } else { 0.0 };
            }
            p[c] = v.round().clamp(0.0, 255.0) as u8;
        }
    }
}

/// `op_blur`: Gaussian with sigma = radius / 2.
pub(crate) fn blur(img: &mut Raster, radius: f64) {
    if radius <= 0.0 {
        return;
    }
    let (w, h) = (img.w as usize, img.h as usize);
    let out: Vec<Vec<f32>> = planes(img).iter().map(|p| gaussian(p, w, h, radius / 2.0)).collect();
    join(img, &out);
}

/// `op_sharpen=1`: the 3×3 kernel [0 −1 0; −1 5 −1; 0 −1 0], once, alpha included.
pub(crate) fn sharpen(img: &mut Raster) {
    let (w, h) = (img.w as usize, img.h as usize);
    let src = planes(img);
    let out: Vec<Vec<f32>> = src
        .iter()
        .map(|p| {
            let at = |x: isize, y: isize| {
                p[y.clamp(0, h as isize - 1) as usize * w + x.clamp(0, w as isize - 1) as usize]
            };
            let mut o = vec![0f32; w * h];
            for y in 0..h as isize {
                for x in 0..w as isize {
                    o[y as usize * w + x as usize] =
                        5.0 * at(x, y) - at(x - 1, y) - at(x + 1, y) - at(x, y - 1) - at(x, y + 1);
                }
            }
            o
        })
        .collect();
    join(img, &out);
}

/// `op_usm` / `op_usmR` with the radius in output pixels (spec §6.3 decision).
pub(crate) fn unsharp(img: &mut Raster, usm: Usm) {
    let (w, h) = (img.w as usize, img.h as usize);
    let mut src = planes(img);
    let threshold = f32::from(usm.threshold);
    let amount = usm.amount as f32;
    let color_ch = img.ch.min(3);
    if usm.monochrome && color_ch == 3 {
        let luma: Vec<f32> =
            (0..w * h).map(|i| 0.299 * src[0][i] + 0.587 * src[1][i] + 0.114 * src[2][i]).collect();
        let blurred = gaussian(&luma, w, h, usm.radius);
        for i in 0..w * h {
            let diff = luma[i] - blurred[i];
            if diff.abs() >= threshold {
                for plane in src.iter_mut().take(3) {
                    plane[i] += amount * diff;
                }
            }
        }
    } else {
        for plane in src.iter_mut().take(color_ch) {
            let blurred = gaussian(plane, w, h, usm.radius);
            for (v, b) in plane.iter_mut().zip(blurred) {
                let diff = *v - b;
                if diff.abs() >= threshold {
                    *v += amount * diff;
                }
            }
        }
    }
    join(img, &src);
}
