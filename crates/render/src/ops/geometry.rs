//! Exact pixel moves: crop with extension, flips, quarter turns, EXIF orientation, free rotation,
//! extend, and placing an image on a canvas.

use crate::modifier::Rgba;
use crate::plan::Rect;
use crate::raster::Raster;

/// Copies `src` onto `dst` with its top-left corner at (`x`, `y`); parts outside `dst` are dropped.
pub(crate) fn blit(dst: &mut Raster, src: &Raster, x: i64, y: i64) {
    debug_assert_eq!(dst.ch, src.ch);
    let x0 = x.max(0);
    let y0 = y.max(0);
    let x1 = (x + i64::from(src.w)).min(i64::from(dst.w));
    let y1 = (y + i64::from(src.h)).min(i64::from(dst.h));
    if x0 >= x1 || y0 >= y1 {
        return;
    }
    let ch = src.ch;
    let len = (x1 - x0) as usize * ch;
    let (ds, ss) = (dst.stride(), src.stride());
    for row in y0..y1 {
        let d = row as usize * ds + x0 as usize * ch;
        let s = (row - y) as usize * ss + (x0 - x) as usize * ch;
        dst.data[d..d + len].copy_from_slice(&src.data[s..s + len]);
    }
}

/// Cuts `r` out of `src`; pixels outside the source take `fill`.
pub(crate) fn crop(src: &Raster, r: Rect, fill: Rgba) -> Raster {
    if r.inside(src.w, src.h) {
        let mut out = Raster {
            w: r.w,
            h: r.h,
            ch: src.ch,
            data: Vec::with_capacity(r.w as usize * r.h as usize * src.ch),
        };
        let ss = src.stride();
        for row in 0..r.h as usize {
            let s = (r.y as usize + row) * ss + r.x as usize * src.ch;
            out.data.extend_from_slice(&src.data[s..s + r.w as usize * src.ch]);
        }
        return out;
    }
    let mut out = Raster::filled(r.w, r.h, src.ch, fill);
    blit(&mut out, src, -r.x, -r.y);
    out
}

/// Mirrors left-right and/or up-down in place.
pub(crate) fn flip(img: &mut Raster, lr: bool, ud: bool) {
    let (ch, stride) = (img.ch, img.stride());
    if lr {
        for row in img.data.chunks_exact_mut(stride) {
            let w = row.len() / ch;
            for x in 0..w / 2 {
                for c in 0..ch {
                    row.swap(x * ch + c, (w - 1 - x) * ch + c);
                }
            }
        }
    }
    if ud {
        let h = img.h as usize;
        for y in 0..h / 2 {
            let (top, bottom) = img.data.split_at_mut((h - 1 - y) * stride);
            top[y * stride..(y + 1) * stride].swap_with_slice(&mut bottom[..stride]);
        }
    }
}

/// Rotates clockwise by `q` quarter turns, exactly.
pub(crate) fn rotate_quarter(img: Raster, q: u8) -> Raster {
    match q % 4 {
        0 => img,
        2 => {
            let mut img = img;
            flip(&mut img, true, true);
            img
        }
        q => {
            let (w, h, ch) = (img.w as usize, img.h as usize, img.ch);
            let mut data = vec![0u8; img.data.len()];
            // Output is h×w. Clockwise: out(x, y) = in(y, h-1-x); counter-clockwise: in(w-1-y, x).
            // Walk in square tiles so both the reads and the writes stay in cache.
            const TILE: usize = 64;
            for ty in (0..w).step_by(TILE) {
                for tx in (0..h).step_by(TILE) {
                    for oy in ty..(ty + TILE).min(w) {
                        let row = &mut data[oy * h * ch..(oy + 1) * h * ch];
                        for ox in tx..(tx + TILE).min(h) {
                            let (sx, sy) = if q == 1 { (oy, h - 1 - ox) } else { (w - 1 - oy, ox) };
                            let s = (sy * w + sx) * ch;
                            row[ox * ch..ox * ch + ch].copy_from_slice(&img.data[s..s + ch]);
                        }
                    }
                }
            }
            Raster { w: img.h, h: img.w, ch, data }
        }
    }
}

/// Applies an EXIF orientation (1–8) so the image is upright.
pub(crate) fn orient(img: Raster, orientation: u8) -> Raster {
    match orientation {
        2 => mirrored(img, 0),
        3 => rotate_quarter(img, 2),
        4 => {
            let mut img = img;
            flip(&mut img, false, true);
            img
        }
        // 5 = transpose (mirror, then 270° clockwise); 7 = transverse (mirror, then 90° clockwise).
        5 => mirrored(img, 3),
        6 => rotate_quarter(img, 1),
        7 => mirrored(img, 1),
        8 => rotate_quarter(img, 3),
        _ => img,
    }
}

fn mirrored(mut img: Raster, q: u8) -> Raster {
    flip(&mut img, true, false);
    rotate_quarter(img, q)
}

/// Rotates clockwise by `deg` into a `bw`×`bh` box, sampling bilinearly; corners become transparent.
/// Works on RGBA and premultiplies, so edges do not pick up dark fringes.
pub(crate) fn rotate_free(img: &Raster, deg: f64, (bw, bh): (u32, u32)) -> Raster {
    debug_assert_eq!(img.ch, 4);
    let (sin, cos) = deg.to_radians().sin_cos();
    let (sw, sh) = (img.w as usize, img.h as usize);
    let (scx, scy) = (sw as f64 / 2.0, sh as f64 / 2.0);
    let (dcx, dcy) = (f64::from(bw) / 2.0, f64::from(bh) / 2.0);
    let mut out = vec![0u8; bw as usize * bh as usize * 4];
    let fetch = |x: isize, y: isize| -> [f32; 4] {
        if x < 0 || y < 0 || x >= sw as isize || y >= sh as isize {
            return [0.0; 4];
        }
        let i = (y as usize * sw + x as usize) * 4;
        let p = &img.data[i..i + 4];
        let a = f32::from(p[3]) / 255.0;
        [f32::from(p[0]) * a, f32::from(p[1]) * a, f32::from(p[2]) * a, f32::from(p[3])]
    };
    for oy in 0..bh as usize {
        for ox in 0..bw as usize {
            let dx = ox as f64 + 0.5 - dcx;
            let dy = oy as f64 + 0.5 - dcy;
            // Inverse of a clockwise rotation in y-down coordinates.
            let sx = cos * dx + sin * dy + scx - 0.5;
            let sy = -sin * dx + cos * dy + scy - 0.5;
            let (x0, y0) = (sx.floor(), sy.floor());
            let (fx, fy) = ((sx - x0) as f32, (sy - y0) as f32);
            let (x0, y0) = (x0 as isize, y0 as isize);
            let (p00, p10, p01, p11) =
                (fetch(x0, y0), fetch(x0 + 1, y0), fetch(x0, y0 + 1), fetch(x0 + 1, y0 + 1));
            let mut px = [0f32; 4];
            for c in 0..4 {
                let top = p00[c] + (p10[c] - p00[c]) * fx;
                let bottom = p01[c] + (p11[c] - p01[c]) * fx;
                px[c] = top + (bottom - top) * fy;
            }
            let d = (oy * bw as usize + ox) * 4;
            let a = px[3];
            if a > 0.0 {
                let k = 255.0 / a;
                for c in 0..3 {
                    out[d + c] = (px[c] * k).round().clamp(0.0, 255.0) as u8;
                }
                out[d + 3] = a.round().clamp(0.0, 255.0) as u8;
            }
        }
    }
    Raster { w: bw, h: bh, ch: 4, data: out }
}

/// Adds (or, negative, removes) margins; new area takes `fill`.
pub(crate) fn extend(img: &Raster, [l, t, r, b]: [i64; 4], fill: Rgba) -> Raster {
    let w = (i64::from(img.w) + l + r).max(1) as u32;
    let h = (i64::from(img.h) + t + b).max(1) as u32;
    let mut out = Raster::filled(w, h, img.ch, fill);
    blit(&mut out, img, l, t);
    out
}

/// Fills transparent and semi-transparent pixels from underneath with an opaque or translucent colour.
pub(crate) fn fill_under(img: &mut Raster, color: Rgba) {
    if img.ch != 4 {
        return;
    }
    let [cr, cg, cb, ca] = color.0.map(f32::from);
    let ca = ca / 255.0;
    for p in img.data.chunks_exact_mut(4) {
        let a = f32::from(p[3]) / 255.0;
        if a >= 1.0 {
            continue;
        }
        let out_a = a + ca * (1.0 - a);
        if out_a <= 0.0 {
            continue;
        }
        for (c, under) in p.iter_mut().take(3).zip([cr, cg, cb]) {
            *c = ((f32::from(*c) * a + under * ca * (1.0 - a)) / out_a).round() as u8;
        }
        p[3] = (out_a * 255.0).round() as u8;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn numbered(w: u32, h: u32) -> Raster {
        Raster { w, h, ch: 1, data: (0..(w * h) as u8).collect() }
    }

    #[test]
    fn a_clockwise_quarter_turn_moves_the_bottom_left_pixel_to_the_top_left() {
        // 0 1 2
        // 3 4 5
        let r = rotate_quarter(numbered(3, 2), 1);
        assert_eq!((r.w, r.h), (2, 3));
        assert_eq!(r.data, vec![3, 0, 4, 1, 5, 2]);
    }

    #[test]
    fn a_counter_clockwise_quarter_turn_moves_the_top_right_pixel_to_the_top_left() {
        let r = rotate_quarter(numbered(3, 2), 3);
        assert_eq!(r.data, vec![2, 5, 1, 4, 0, 3]);
    }

    #[test]
    fn exif_orientations_five_and_seven_are_transpose_and_transverse() {
        assert_eq!(orient(numbered(3, 2), 5).data, vec![0, 3, 1, 4, 2, 5]);
        assert_eq!(orient(numbered(3, 2), 7).data, vec![5, 2, 4, 1, 3, 0]);
    }

    #[test]
    fn flips_mirror_rows_and_columns() {
        let mut r = numbered(3, 2);
        flip(&mut r, true, true);
        assert_eq!(r.data, vec![5, 4, 3, 2, 1, 0]);
    }

    #[test]
    fn a_crop_past_the_edge_fills_the_outside() {
        let r = crop(&numbered(3, 2), Rect { x: 2, y: 1, w: 2, h: 2 }, Rgba([9, 9, 9, 9]));
        assert_eq!(r.data, vec![5, 9, 9, 9]);
    }
}
