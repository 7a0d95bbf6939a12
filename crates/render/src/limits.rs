//! Resource limits of spec §7.3, all checked on the plan before pixels are decoded.

use crate::error::RenderError;

/// Resource limits checked before pixels are decoded.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Largest source image accepted, in pixels (read from the header).
    pub max_source_pixels: u64,
    /// Largest output image, in pixels.
    pub max_output_pixels: u64,
    /// Largest output side, in pixels.
    pub max_output_side: u32,
    /// Largest intermediate image (crop, scaled layer, rotated box, extended layer), in pixels.
    pub max_intermediate_pixels: u64,
    /// Largest intermediate side, in pixels.
    pub max_intermediate_side: u32,
    /// Largest encoded copy, in bytes.
    pub max_encoded_bytes: usize,
    /// Most frames an animated source may have (only the first is rendered).
    pub max_source_frames: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_source_pixels: 100_000_000,
            max_output_pixels: 100_000_000,
            max_output_side: 16_383,
            max_intermediate_pixels: 100_000_000,
            max_intermediate_side: 65_535,
            max_encoded_bytes: 64 << 20,
            max_source_frames: 1000,
        }
    }
}

fn mpixels(p: u64) -> String {
    if p.is_multiple_of(1_000_000) { format!("{} MPixel", p / 1_000_000) } else { format!("{p} pixel") }
}

impl Limits {
    pub(crate) fn source(&self, (w, h): (u32, u32)) -> Result<(), RenderError> {
        let pixels = u64::from(w) * u64::from(h);
        if pixels > self.max_source_pixels {
            return Err(RenderError::LimitExceeded(format!(
                "source: {w}×{h} ({pixels} pixels) exceeds the {} source limit",
                mpixels(self.max_source_pixels)
            )));
        }
        Ok(())
    }

    pub(crate) fn frames(&self, frames: usize) -> Result<(), RenderError> {
        if frames > self.max_source_frames {
            return Err(RenderError::LimitExceeded(format!(
                "source: {frames} animation frames exceed the limit of {}",
                self.max_source_frames
            )));
        }
        Ok(())
    }

    pub(crate) fn intermediate(&self, command: &str, (w, h): (u32, u32)) -> Result<(), RenderError> {
        if w > self.max_intermediate_side
            || h > self.max_intermediate_side
            || u64::from(w) * u64::from(h) > self.max_intermediate_pixels
        {
            return Err(RenderError::LimitExceeded(format!(
                "{command}: intermediate image {w}×{h} exceeds the {} px side / {} limits",
                self.max_intermediate_side,
                mpixels(self.max_intermediate_pixels)
            )));
        }
        Ok(())
    }

    pub(crate) fn output(&self, command: &str, (w, h): (u32, u32)) -> Result<(), RenderError> {
        if w > self.max_output_side
            || h > self.max_output_side
            || u64::from(w) * u64::from(h) > self.max_output_pixels
        {
            return Err(RenderError::LimitExceeded(format!(
                "{command}: output {w}×{h} exceeds the {} px side / {} limits",
                self.max_output_side,
                mpixels(self.max_output_pixels)
            )));
        }
        Ok(())
    }
}
