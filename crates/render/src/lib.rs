//! The ipscopy render engine: parses an Image Serving `urlModifier` and applies it to image
//! bytes. Pure: no files, no network, no clocks — callers bring bytes and take bytes.
//!
//! Layout: `modifier/` (grammar and validation), `plan` (geometry and limits, before decoding),
//! `decode`/`encode` (codecs and the metadata they keep), `ops/` (pixel work), `pipeline`
//! (the order of spec §6.2).

mod decode;
mod encode;
mod error;
mod intake;
mod limits;
mod meta;
mod modifier;
mod ops;
mod pipeline;
mod plan;
mod quantize;
mod raster;

pub use error::{ModifierError, RenderError};
pub use intake::{HEAD_BYTES, TAIL_BYTES, check_ending, probe_head};
pub use limits::Limits;
pub use modifier::{Modifier, OutputFormat, parse};
pub use pipeline::{Decoded, Prepared, Rendered, SourceInfo, planned_size, prepare, probe, render};
