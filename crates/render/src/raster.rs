//! An 8-bit interleaved pixel buffer: gray (1), gray+alpha (2), RGB (3) or RGBA with straight alpha (4).

use crate::modifier::Rgba;

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Raster {
    pub w: u32,
    pub h: u32,
    pub ch: usize,
    pub data: Vec<u8>,
}

impl Raster {
    /// A `w`×`h` raster filled with `fill` (its alpha is dropped for 3 channels).
    pub fn filled(w: u32, h: u32, ch: usize, fill: Rgba) -> Self {
        let px = &fill.0[..ch];
        let n = w as usize * h as usize;
        let data = if px.iter().all(|&b| b == px[0]) {
            vec![px[0]; n * ch]
        } else {
            let mut d = Vec::with_capacity(n * ch);
            for _ in 0..n {
                d.extend_from_slice(px);
            }
            d
        };
        Self { w, h, ch, data }
    }

    pub fn stride(&self) -> usize {
        self.w as usize * self.ch
    }

    /// The same image with an opaque alpha channel added (RGB → RGBA); other layouts unchanged.
    pub fn with_alpha(self) -> Self {
        if self.ch != 3 {
            return self;
        }
        let mut data = Vec::with_capacity(self.data.len() / 3 * 4);
        for p in self.data.chunks_exact(3) {
            data.extend_from_slice(&[p[0], p[1], p[2], 255]);
        }
        Self { ch: 4, data, ..self }
    }

    /// Composites RGBA over an opaque colour, giving RGB.
    pub fn flatten(self, bg: Rgba) -> Self {
        if self.ch != 4 {
            return self;
        }
        let [br, bgg, bb, _] = bg.0;
        let mut data = Vec::with_capacity(self.data.len() / 4 * 3);
        for p in self.data.chunks_exact(4) {
            let a = u32::from(p[3]);
            if a == 255 {
                data.extend_from_slice(&p[..3]);
            } else {
                let mix = |c: u8, b: u8| ((u32::from(c) * a + u32::from(b) * (255 - a) + 127) / 255) as u8;
                data.extend_from_slice(&[mix(p[0], br), mix(p[1], bgg), mix(p[2], bb)]);
            }
        }
        Self { ch: 3, data, ..self }
    }

    /// Rec. 601 luma, keeping alpha when present (RGB → gray, RGBA → gray+alpha).
    pub fn into_gray(self) -> Self {
        if self.ch < 3 {
            return self;
        }
        let out_ch = if self.ch == 4 { 2 } else { 1 };
        let mut data = Vec::with_capacity(self.data.len() / self.ch * out_ch);
        for p in self.data.chunks_exact(self.ch) {
            let y = (299 * u32::from(p[0]) + 587 * u32::from(p[1]) + 114 * u32::from(p[2]) + 500) / 1000;
            data.push(y as u8);
            if out_ch == 2 {
                data.push(p[3]);
            }
        }
        Self { ch: out_ch, data, ..self }
    }
}
