//! Palette reduction for `gif` and `png8` (`quantize=`, spec §3.5): NeuQuant (MIT-licensed
//! `color_quant`) or the 216-colour web palette, forced colours first, optional Floyd–Steinberg.

use color_quant::NeuQuant;

use crate::modifier::Quantize;
use crate::raster::Raster;

/// An indexed image; `transparent` is the palette index used as the key colour, if any.
pub(crate) struct Indexed {
    pub palette: Vec<[u8; 3]>,
    pub indices: Vec<u8>,
    pub transparent: Option<u8>,
}

/// Reduces an RGB or RGBA raster; with `keep_alpha`, pixels under 50 % opacity become the key colour.
pub(crate) fn quantize(img: &Raster, q: &Quantize, keep_alpha: bool) -> Indexed {
    let keyed = keep_alpha && img.ch == 4;
    // The key colour comes on top of numColors (spec §3.5.1: 2–255 colours + key transparency).
    let budget = if keyed { usize::from(q.colors).min(255) } else { usize::from(q.colors) };
    let mut palette: Vec<[u8; 3]> = q.forced.iter().copied().take(budget).collect();
    let room = budget.saturating_sub(palette.len());
    if room > 0 {
        if q.web {
            let web = (0..216u32).map(|i| [i / 36, i / 6 % 6, i % 6].map(|v| (v * 51) as u8));
            palette.extend(web.take(room));
        } else {
            palette.extend(adaptive(img, room));
        }
    }
    if palette.is_empty() {
        palette.push([0, 0, 0]);
    }
    let mut lut = vec![u16::MAX; 1 << 18];
    let mut nearest = |c: [i32; 3]| -> u8 {
        let c = c.map(|v| v.clamp(0, 255));
        let key = ((c[0] as usize >> 2) << 12) | ((c[1] as usize >> 2) << 6) | (c[2] as usize >> 2);
        if lut[key] == u16::MAX {
            let best = palette
                .iter()
                .enumerate()
                .min_by_key(|(_, p)| (0..3).map(|i| (i32::from(p[i]) - c[i]).pow(2)).sum::<i32>())
                .map_or(0, |(i, _)| i);
            lut[key] = best as u16;
        }
        lut[key] as u8
    };
    let (w, h, ch) = (img.w as usize, img.h as usize, img.ch);
    let key_index = keyed.then_some(palette.len() as u8);
    let mut indices = vec![0u8; w * h];
    let mut err = vec![[0i32; 3]; if q.dither { 2 * (w + 2) } else { 0 }];
    for y in 0..h {
        if q.dither {
            let (cur, next) = err.split_at_mut(w + 2);
            cur.copy_from_slice(next);
            next.iter_mut().for_each(|e| *e = [0; 3]);
        }
        for x in 0..w {
            let p = &img.data[(y * w + x) * ch..(y * w + x) * ch + ch];
            if let Some(k) = key_index.filter(|_| p[3] < 128) {
                indices[y * w + x] = k;
                continue;
            }
            let mut c = [i32::from(p[0]), i32::from(p[1]), i32::from(p[2])];
            if q.dither {
                let e = err[x + 1];
                c = [c[0] + e[0] / 16, c[1] + e[1] / 16, c[2] + e[2] / 16];
            }
            let i = nearest(c);
            indices[y * w + x] = i;
            if q.dither {
                let chosen = palette[usize::from(i)];
                let d = [0, 1, 2].map(|k| c[k].clamp(0, 255) - i32::from(chosen[k]));
                let (cur, next) = err.split_at_mut(w + 2);
                for k in 0..3 {
                    cur[x + 2][k] += d[k] * 7;
                    next[x][k] += d[k] * 3;
                    next[x + 1][k] += d[k] * 5;
                    next[x + 2][k] += d[k];
                }
            }
        }
    }
    if keyed {
        palette.push([0, 0, 0]);
    }
    Indexed { palette, indices, transparent: key_index }
}

fn adaptive(img: &Raster, colors: usize) -> Vec<[u8; 3]> {
    let mut rgba = Vec::with_capacity(img.w as usize * img.h as usize * 4);
    for p in img.data.chunks_exact(img.ch) {
        rgba.extend_from_slice(&[p[0], p[1], p[2], 255]);
    }
    // NeuQuant needs a few entries to train; small budgets still get a full network, then pruned.
    let nq = NeuQuant::new(10, colors.max(4), &rgba);
    let map = nq.color_map_rgb();
    let mut out: Vec<[u8; 3]> = map.chunks_exact(3).map(|c| [c[0], c[1], c[2]]).collect();
    out.dedup();
    out.truncate(colors);
    out
}
