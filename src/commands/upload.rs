//! `ipscopy upload`: brings files and directories of images in through `POST /v1/assets`, a few
//! at a time, with a progress bar of files and bytes. Each file's asset is named after its file
//! stem, so a re-run finds every name already taken and uploads nothing twice. With
//! `--subfolders`, a file found under a directory goes in the folder its sub-directory maps to,
//! made through `POST /v1/folders` first.

use std::{
    collections::HashMap,
    path::{Path, PathBuf},
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
};

use anyhow::{Context, bail};
use clap::Args;
use futures::{StreamExt, TryStreamExt};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::Value;
use tokio_util::io::ReaderStream;

use crate::secret::ExposeSecret;

/// Extensions taken from directories; files named on the command line are sent whatever theirs.
const IMAGE_EXTENSIONS: &[&str] = &["jpg", "jpeg", "png", "gif", "webp", "tif", "tiff"];

#[derive(Args)]
pub struct UploadArgs {
    /// Company handle the assets go in (`c|N`).
    #[arg(long)]
    company: String,
    /// Folder handle the assets go in (`Company/path/`).
    #[arg(long)]
    folder: String,
    #[command(flatten)]
    api: super::ApiLogin,
    /// Put each file found under a directory in the folder of its sub-directory (`--folder`
    /// plus the path below the directory named), making the folders that are missing.
    #[arg(long)]
    subfolders: bool,
    /// Replace the master of an asset that already has the name, instead of skipping the file.
    #[arg(long)]
    overwrite: bool,
    /// Files sent at once.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=64))]
    jobs: u16,
    /// Image files, and directories searched recursively for them.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
}

/// A file to send, under the asset name it gets, into its folder.
struct Upload {
    path: PathBuf,
    name: String,
    len: u64,
    folder: String,
}

/// What became of one file.
enum Outcome {
    Uploaded(String),
    /// The name is taken and `--overwrite` was not given.
    Present,
    Refused(String),
}

/// Uploads every file; prints `handle<TAB>path` per upload on stdout and a summary on stderr;
/// fails when any file was refused.
pub async fn run(args: UploadArgs) -> anyhow::Result<()> {
    let (files, mut refused) = collect(&args.paths, &args.folder, args.subfolders)?;
    let http = reqwest::Client::new();
    make_folders(&args, &http, &files).await?;
    let total: u64 = files.iter().map(|f| f.len).sum();
    let bar = ProgressBar::new(total);
    bar.set_style(
        ProgressStyle::with_template("{msg} [{bar:40}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}")?
            .progress_chars("=> "),
    );
    let count = files.len();
    let named = count + refused.len();
    bar.set_message(format!("files 0/{count}"));
    let mut outcomes = futures::stream::iter(files.iter().map(|file| send(&args, &http, file, &bar)))
        .buffer_unordered(usize::from(args.jobs));
    let (mut uploaded, mut present, mut done) = (0, 0, 0);
    while let Some((file, outcome)) = outcomes.next().await {
        done += 1;
        bar.set_message(format!("files {done}/{count}"));
        match outcome {
            Outcome::Uploaded(handle) => {
                uploaded += 1;
                bar.suspend(|| println!("{handle}\t{}", file.path.display()));
            }
            Outcome::Present => present += 1,
            Outcome::Refused(reason) => refused.push(format!("{}: {reason}", file.path.display())),
        }
    }
    bar.finish();
    eprintln!("files            {named}");
    eprintln!("uploaded         {uploaded}");
    eprintln!("already present  {present}");
    eprintln!("refused          {}", refused.len());
    for line in &refused {
        eprintln!("  {line}");
    }
    if refused.is_empty() { Ok(()) } else { bail!("{} files were refused", refused.len()) }
}

/// The files under `paths`, each named after its stem, with its folder: `base`, plus the
/// sub-directory below the directory named with `subfolders`. A second file with a stem already
/// taken in this run is refused here rather than mistaken for one already uploaded.
fn collect(paths: &[PathBuf], base: &str, subfolders: bool) -> anyhow::Result<(Vec<Upload>, Vec<String>)> {
    // Each file with the directory named on the command line that it was found under.
    let mut found: Vec<(PathBuf, Option<&Path>)> = Vec::new();
    for path in paths {
        let meta = std::fs::metadata(path).with_context(|| format!("reading {}", path.display()))?;
        if meta.is_dir() {
            let mut under = Vec::new();
            walk(path, &mut under)?;
            found.extend(under.into_iter().map(|file| (file, Some(path.as_path()))));
        } else {
            found.push((path.clone(), None));
        }
    }
    found.sort();
    let mut names: HashMap<String, PathBuf> = HashMap::new();
    let (mut files, mut refused) = (Vec::new(), Vec::new());
    for (path, top) in found {
        let folder = match top.filter(|_| subfolders) {
            Some(top) => match subfolder(base, top, &path) {
                Some(folder) => folder,
                None => {
                    refused.push(format!("{}: its directory's name is not UTF-8", path.display()));
                    continue;
                }
            },
            None => base.to_string(),
        };
        let Some(name) = path.file_stem().and_then(|s| s.to_str()).map(str::to_string) else {
            refused.push(format!("{}: the file name is not UTF-8", path.display()));
            continue;
        };
        if let Some(first) = names.get(&name) {
            refused.push(format!(
                "{}: its name {name:?} is also that of {}",
                path.display(),
                first.display()
            ));
            continue;
        }
        let len = std::fs::metadata(&path).with_context(|| format!("reading {}", path.display()))?.len();
        names.insert(name.clone(), path.clone());
        files.push(Upload { path, name, len, folder });
    }
    Ok((files, refused))
}

/// The folder handle of `file` found under directory `top`: `base` and the directories between.
fn subfolder(base: &str, top: &Path, file: &Path) -> Option<String> {
    let between = file.parent()?.strip_prefix(top).ok()?;
    if between.as_os_str().is_empty() {
        return Some(base.to_string());
    }
    let mut folder = base.to_string();
    if !folder.ends_with('/') {
        folder.push('/');
    }
    for part in between.components() {
        folder.push_str(part.as_os_str().to_str()?);
        folder.push('/');
    }
    Some(folder)
}

/// Makes every folder the files go in below `--folder`, parents first; one that exists is
/// fine, any other refusal ends the run before a file is sent.
async fn make_folders(args: &UploadArgs, http: &reqwest::Client, files: &[Upload]) -> anyhow::Result<()> {
    let base = args.folder.trim_end_matches('/');
    let mut folders = std::collections::BTreeSet::new();
    for file in files {
        let below = file.folder.strip_prefix(base).unwrap_or_default().trim_start_matches('/');
        let mut at = format!("{base}/");
        for part in below.split_terminator('/') {
            at.push_str(part);
            at.push('/');
            folders.insert(at.clone());
        }
    }
    // Sorted, each parent comes before its children.
    for folder in folders {
        let body = serde_json::json!({ "companyHandle": args.company, "folderHandle": folder });
        let response = http
            .post(format!("{}/v1/folders", args.api.url))
            .basic_auth(&args.api.user, Some(args.api.password.expose_secret()))
            .json(&body)
            .send()
            .await
            .with_context(|| format!("making folder {folder}"))?;
        let status = response.status().as_u16();
        let answer: Value = response.json().await.unwrap_or(Value::Null);
        let exists = status == 409 && answer["reason"].as_str().is_some_and(|r| r.contains("already exists"));
        if status != 201 && !exists {
            bail!(
                "folder {folder} could not be made: HTTP {status}: {} {}",
                answer["code"],
                answer["reason"]
            );
        }
    }
    Ok(())
}

fn walk(dir: &Path, found: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let entry = entry?;
        let path = entry.path();
        let kind = entry.file_type()?;
        if kind.is_dir() {
            walk(&path, found)?;
        } else if kind.is_file() && has_image_extension(&path) {
            found.push(path);
        }
    }
    Ok(())
}

fn has_image_extension(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| IMAGE_EXTENSIONS.iter().any(|known| e.eq_ignore_ascii_case(known)))
}

/// Streams one file to the API, counting its bytes on the bar as they are read.
async fn send<'a>(
    args: &UploadArgs,
    http: &reqwest::Client,
    file: &'a Upload,
    bar: &ProgressBar,
) -> (&'a Upload, Outcome) {
    let outcome = match try_send(args, http, file, bar).await {
        Ok(outcome) => outcome,
        Err(e) => Outcome::Refused(format!("{e:#}")),
    };
    (file, outcome)
}

async fn try_send(
    args: &UploadArgs,
    http: &reqwest::Client,
    file: &Upload,
    bar: &ProgressBar,
) -> anyhow::Result<Outcome> {
    let opened = tokio::fs::File::open(&file.path).await.context("opening the file")?;
    let (progress, read) = (bar.clone(), Arc::new(AtomicU64::new(0)));
    let counter = read.clone();
    let body = ReaderStream::new(opened).inspect_ok(move |chunk| {
        progress.inc(chunk.len() as u64);
        counter.fetch_add(chunk.len() as u64, Ordering::Relaxed);
    });
    let response = http
        .post(format!("{}/v1/assets", args.api.url))
        .query(&[
            ("companyHandle", args.company.as_str()),
            ("folderHandle", file.folder.as_str()),
            ("name", file.name.as_str()),
            ("overwrite", if args.overwrite { "true" } else { "false" }),
        ])
        .basic_auth(&args.api.user, Some(args.api.password.expose_secret()))
        .header(reqwest::header::CONTENT_TYPE, "application/octet-stream")
        .header(reqwest::header::CONTENT_LENGTH, file.len)
        .body(reqwest::Body::wrap_stream(body))
        .send()
        .await
        .context("sending the file")?;
    let status = response.status().as_u16();
    let answer: Value = response.json().await.unwrap_or(Value::Null);
    // The API may answer before it has read the whole file: the bar counts the file as done.
    bar.inc(file.len.saturating_sub(read.load(Ordering::Relaxed)));
    Ok(match status {
        200 | 201 => Outcome::Uploaded(answer["assetHandle"].as_str().unwrap_or_default().to_string()),
        409 if !args.overwrite && answer["reason"].as_str().is_some_and(|r| r.contains("already used")) => {
            Outcome::Present
        }
        _ => Outcome::Refused(format!("HTTP {status}: {} {}", answer["code"], answer["reason"])),
    })
}
