//! `ipscopy bench --uploads N --upload-file F`: the same file uploaded N times through
//! `POST /v1/assets`, and put N times straight into the same store by an `aws-sdk-s3` client
//! with the SDK's defaults, in alternating rounds so both see the same machine; prints MB/s of each and their ratio. With
//! `--big-upload-mib M` it then streams one generated M MiB PNG through the API and reports how
//! far the server's peak RSS grew (`--server-pid`; the peak is reset first, which needs root).
//! With `--server-pid`, the CPU each side cost (this process and the server, from /proc) is
//! reported per MB too: unlike the rates, it does not depend on what else the machine runs.

use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use bytes::Bytes;
use futures::StreamExt;
use serde_json::Value;

use super::{Api, BenchArgs};
use crate::{domain::CompanyHandle, storage::Storage};

/// Rounds each side runs; the figures are their sums.
const ROUNDS: usize = 3;
/// Size of each ancillary chunk of the big PNG.
const FILLER_CHUNK: usize = 1 << 20;

/// Where the uploads go: the company and folder of this run, the API and the store.
pub(super) struct Target<'a> {
    pub api: &'a Api,
    pub company: CompanyHandle,
    pub folder: String,
    pub storage: Storage,
    /// A client of the same store with the SDK's defaults: the peer.
    pub plain: aws_sdk_s3::Client,
    pub bucket: String,
    pub tag: &'a str,
}

pub(super) async fn run(args: &BenchArgs, target: &Target<'_>) -> anyhow::Result<()> {
    if let Some(path) = &args.upload_file {
        let file =
            Bytes::from(tokio::fs::read(path).await.with_context(|| format!("reading {}", path.display()))?);
        let count = args.uploads.max(1);
        let per_round = count.div_ceil(ROUNDS);
        let (mut api, mut plain) = (Spent::default(), Spent::default());
        let server = args.server_pid;
        for round in 0..ROUNDS {
            plain.add(server, timed(per_round, args.parallel, |i| put(target, &file, round, i))).await?;
            api.add(server, timed(per_round, args.parallel, |i| upload(target, &file, round, i))).await?;
        }
        let megabytes = (per_round * ROUNDS * file.len()) as f64 / 1e6;
        let rate = |spent: &Spent| megabytes / spent.wall.as_secs_f64();
        let cpu = |spent: &Spent| (spent.cpu_ms as f64) / megabytes;
        println!("file              {} ({} bytes)", path.display(), file.len());
        println!("uploads           {} per side, {} at a time", per_round * ROUNDS, args.parallel);
        println!("POST /v1/assets   {:.1} MB/s, {:.2} CPU ms per MB", rate(&api), cpu(&api));
        println!("aws-sdk-s3 PUT    {:.1} MB/s, {:.2} CPU ms per MB", rate(&plain), cpu(&plain));
        println!(
            "ratio             {:.2} (CPU per MB: {:.2})",
            rate(&api) / rate(&plain),
            cpu(&plain) / cpu(&api)
        );
        for round in 0..ROUNDS {
            for i in 0..per_round {
                target.storage.delete(&put_key(target, round, i)).await?;
            }
        }
    }
    if let Some(mib) = args.big_upload_mib {
        big_upload(target, mib, args.server_pid).await?;
    }
    Ok(())
}

/// Wall time and CPU time (this process and the server's) of one side's rounds.
#[derive(Default)]
struct Spent {
    wall: Duration,
    cpu_ms: u64,
}

impl Spent {
    async fn add(
        &mut self,
        server: Option<u32>,
        work: impl Future<Output = anyhow::Result<Duration>>,
    ) -> anyhow::Result<()> {
        let before = cpu_ms(None) + server.map_or(0, |pid| cpu_ms(Some(pid)));
        self.wall += work.await?;
        self.cpu_ms += (cpu_ms(None) + server.map_or(0, |pid| cpu_ms(Some(pid)))).saturating_sub(before);
        Ok(())
    }
}

/// User + system CPU time of a process (`None`: this one), in ms, from /proc; 0 where unreadable.
fn cpu_ms(pid: Option<u32>) -> u64 {
    let path = pid.map_or_else(|| "/proc/self/stat".to_string(), |pid| format!("/proc/{pid}/stat"));
    let Ok(stat) = std::fs::read_to_string(path) else { return 0 };
    // Fields after the parenthesised command name; utime and stime are the 14th and 15th.
    let Some((_, rest)) = stat.rsplit_once(')') else { return 0 };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = fields.get(11..13).map_or(0, |f| f.iter().filter_map(|t| t.parse::<u64>().ok()).sum());
    // Linux reports in USER_HZ, 100 on every architecture it supports.
    ticks * 10
}

/// Runs `count` calls of `one`, `parallel` at a time; their wall time.
async fn timed<F, Fut>(count: usize, parallel: usize, one: F) -> anyhow::Result<Duration>
where
    F: Fn(usize) -> Fut,
    Fut: Future<Output = anyhow::Result<()>>,
{
    let started = Instant::now();
    let mut calls = futures::stream::iter((0..count).map(one)).buffer_unordered(parallel.max(1));
    while let Some(done) = calls.next().await {
        done?;
    }
    Ok(started.elapsed())
}

fn put_key(target: &Target<'_>, round: usize, i: usize) -> String {
    format!("bench-{}/put-{round}-{i}", target.tag)
}

async fn put(target: &Target<'_>, file: &Bytes, round: usize, i: usize) -> anyhow::Result<()> {
    let body = aws_sdk_s3::primitives::ByteStream::from(file.clone());
    let put = target.plain.put_object().bucket(&target.bucket).key(put_key(target, round, i));
    put.content_type("image/jpeg").body(body).send().await.context("a plain PUT")?;
    Ok(())
}

async fn upload(target: &Target<'_>, file: &Bytes, round: usize, i: usize) -> anyhow::Result<()> {
    send(target, &format!("upload-{round}-{i}"), reqwest::Body::from(file.clone())).await
}

async fn send(target: &Target<'_>, name: &str, body: reqwest::Body) -> anyhow::Result<()> {
    let company = target.company.to_string();
    let response = target
        .api
        .post("/v1/assets")
        .query(&[("companyHandle", company.as_str()), ("folderHandle", &target.folder), ("name", name)])
        .body(body)
        .send()
        .await
        .context("uploading")?;
    let status = response.status();
    if status.as_u16() != 201 {
        let answer: Value = response.json().await.unwrap_or(Value::Null);
        bail!("upload {name} answered {status}: {answer}");
    }
    Ok(())
}

/// Streams a PNG of `mib` MiB, generated as it is sent, and reports the server's peak RSS growth.
async fn big_upload(target: &Target<'_>, mib: u64, server_pid: Option<u32>) -> anyhow::Result<()> {
    let reset = server_pid.is_some_and(|pid| std::fs::write(format!("/proc/{pid}/clear_refs"), "5").is_ok());
    let before = server_pid.and_then(peak_rss_kib);
    let started = Instant::now();
    send(target, "big", reqwest::Body::wrap_stream(filler_png(mib))).await?;
    let elapsed = started.elapsed();
    println!(
        "big upload        {mib} MiB in {:.1} s ({:.1} MB/s)",
        elapsed.as_secs_f64(),
        (mib << 20) as f64 / 1e6 / elapsed.as_secs_f64()
    );
    match (before, server_pid.and_then(peak_rss_kib)) {
        (Some(before), Some(after)) => println!(
            "server peak RSS   {} MiB before, {} MiB after: grew {} MiB{}",
            before / 1024,
            after / 1024,
            after.saturating_sub(before) / 1024,
            if reset { "" } else { " (the peak could not be reset: it includes the start-up's)" }
        ),
        _ => println!("server peak RSS   not read (give --server-pid of a local server)"),
    }
    Ok(())
}

/// VmHWM of a process, in KiB.
fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// A valid 64×64 PNG made `mib` MiB long by private ancillary chunks (which decoders skip)
/// between its image data and its end: the probe sees a small image, the store a large file.
fn filler_png(mib: u64) -> impl futures::Stream<Item = Result<Bytes, std::io::Error>> + Send + 'static {
    let mut small = std::io::Cursor::new(Vec::new());
    let image = image::RgbImage::from_pixel(64, 64, image::Rgb([200, 100, 50]));
    // A 64×64 image always encodes.
    let _ = image.write_to(&mut small, image::ImageFormat::Png);
    let small = small.into_inner();
    // Everything up to the IEND chunk, which is the last 12 bytes.
    let (head, rest) = small.split_at(small.len() - 12);
    let filler = filler_chunk();
    let chunks = (mib << 20) / filler.len() as u64;
    let parts = std::iter::once(Bytes::copy_from_slice(head))
        .chain(std::iter::repeat_n(filler, usize::try_from(chunks).unwrap_or(usize::MAX)))
        .chain(std::iter::once(Bytes::copy_from_slice(rest)));
    futures::stream::iter(parts.map(Ok))
}

fn filler_chunk() -> Bytes {
    let data = vec![0x5a_u8; FILLER_CHUNK - 12];
    let mut chunk = Vec::with_capacity(FILLER_CHUNK);
    chunk.extend_from_slice(&u32::try_from(data.len()).unwrap_or(0).to_be_bytes());
    chunk.extend_from_slice(b"ipSc");
    chunk.extend_from_slice(&data);
    let crc = crc32fast::hash(&chunk[4..]);
    chunk.extend_from_slice(&crc.to_be_bytes());
    Bytes::from(chunk)
}
