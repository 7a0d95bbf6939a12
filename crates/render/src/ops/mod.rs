//! Pixel operations, one file per family.

pub(crate) mod color;
pub(crate) mod geometry;
pub(crate) mod resize;
pub(crate) mod sharpen;
