//! `ipscopy render`: runs the render engine on local files, to preview a modifier or to benchmark.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, bail};
use clap::Args;

/// Render local image files through a urlModifier, exactly as a copy would be rendered.
#[derive(Debug, Args)]
pub struct RenderArgs {
    /// The Image Serving commands, e.g. `wid=500&fmt=png&rotate=90`.
    #[arg(long, short = 'm')]
    pub modifier: String,
    /// Directory for the copies, named after each source with the output format's extension.
    #[arg(long, conflicts_with = "out")]
    pub out_dir: Option<PathBuf>,
    /// Output file (only with a single input).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Source images.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
}

/// Renders every file in one process and prints one line per result; fails if any file failed.
pub fn run(args: RenderArgs) -> anyhow::Result<()> {
    let modifier =
        ipscopy_render::parse(&args.modifier).map_err(|e| anyhow::anyhow!("invalid urlModifier: {e}"))?;
    if args.out.is_some() && args.files.len() != 1 {
        bail!("--out takes a single input file; use --out-dir for {} files", args.files.len());
    }
    if let Some(dir) = &args.out_dir {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let limits = ipscopy_render::Limits::default();
    let ext = modifier.output_format().extension();
    let mut failures = 0;
    for file in &args.files {
        let started = Instant::now();
        let result =
            std::fs::read(file).with_context(|| format!("reading {}", file.display())).and_then(|bytes| {
                ipscopy_render::render(&bytes, &modifier, &limits)
                    .map_err(|e| anyhow::anyhow!("{} ({})", e, e.code()))
            });
        let rendered = match result {
            Ok(r) => r,
            Err(e) => {
                eprintln!("{}: {e:#}", file.display());
                failures += 1;
                continue;
            }
        };
        let target =
            args.out.clone().or_else(|| args.out_dir.as_ref().map(|d| d.join(output_name(file, ext))));
        if let Some(path) = &target {
            std::fs::write(path, &rendered.bytes).with_context(|| format!("writing {}", path.display()))?;
        }
        println!(
            "{}: {}x{} {} {} bytes{} in {:.1} ms",
            file.display(),
            rendered.width,
            rendered.height,
            rendered.format.as_str(),
            rendered.bytes.len(),
            target.map(|p| format!(" -> {}", p.display())).unwrap_or_default(),
            started.elapsed().as_secs_f64() * 1000.0,
        );
    }
    if failures > 0 {
        bail!("{failures} of {} files failed", args.files.len());
    }
    Ok(())
}

fn output_name(file: &Path, ext: &str) -> String {
    let stem = file.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "copy".into());
    format!("{stem}.{ext}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_are_named_after_the_source_with_the_output_extension() {
        assert_eq!(output_name(Path::new("/photos/IMG_1.jpeg"), "webp"), "IMG_1.webp");
    }
}
