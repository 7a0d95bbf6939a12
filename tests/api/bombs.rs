//! Decompression bombs through the copy API into a real worker process, whose memory is read
//! from `/proc`: renders beyond the render slots wait, so the worker's peak stays under the
//! bound README documents (baseline + render slots × per-render budget), and a bomb over the
//! pixel limit fails with `LimitExceeded` without its pixels ever being allocated.

use std::{
    io::Write,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use ipscopy::{admin, app::Roles, render::Limits};
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn};

/// Renders the worker may run at once (`IPSCOPY_RENDER_THREADS`).
const RENDER_SLOTS: u64 = 2;
/// Jobs the worker holds at once: four times the render slots, so without the slots every
/// bomb would decode at the same time.
const JOBS_IN_FLIGHT: u64 = 4 * RENDER_SLOTS;
/// Per-render budget of an 8-bit RGB source, in bytes per source pixel (README, "Memory").
const RGB8_BYTES_PER_PIXEL: u64 = 4;
const MIB: u64 = 1024 * 1024;

/// A PNG of `width`×`height` black RGB pixels whose zlib stream is a few hundred KiB, written
/// row by row so the test never holds the pixels either.
fn png_bomb(width: u32, height: u32) -> Vec<u8> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_compression(png::Compression::High);
    let mut writer = encoder.write_header().unwrap();
    let mut stream = writer.stream_writer().unwrap();
    let row = vec![0u8; width as usize * 3];
    for _ in 0..height {
        stream.write_all(&row).unwrap();
    }
    stream.finish().unwrap();
    writer.finish().unwrap();
    out
}

/// A worker process with its own render slots, talking to the test's deployment.
fn worker(app: &TestApp) -> tokio::process::Child {
    app.worker_command()
        .env("IPSCOPY_RENDER_THREADS", RENDER_SLOTS.to_string())
        .env("IPSCOPY_WORKER_CONCURRENCY", JOBS_IN_FLIGHT.to_string())
        .env("IPSCOPY_HTTP_ADDR", "127.0.0.1:0")
        .spawn()
        .expect("the worker starts")
}

/// A field of `/proc/<pid>/status` in bytes (`VmRSS`: now, `VmHWM`: the peak so far).
fn memory(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("the worker is alive");
    let line = status.lines().find(|l| l.starts_with(field)).expect("a Linux /proc status");
    line.split_whitespace().nth(1).unwrap().parse::<u64>().unwrap() * 1024
}

/// Submits `count` copies of `source` in one batch; returns their job handles.
async fn submit(app: &TestApp, source: &str, count: usize, prefix: &str) -> Vec<String> {
    let items: Vec<Value> = (0..count)
        .map(|i| {
            json!({"assetHandle": source, "folderHandle": app.folder.to_string(),
                   "name": format!("{prefix}-{i}"), "urlModifier": "wid=100&fmt=png"})
        })
        .collect();
    let batch = app
        .post_json(
            202,
            "/v1/copies/batch",
            &json!({"companyHandle": app.company.to_string(), "items": items}),
        )
        .await;
    batch["items"].as_array().unwrap().iter().map(|i| i["jobHandle"].as_str().unwrap().to_string()).collect()
}

/// Waits for the jobs while sampling the worker's resident memory every 10 ms; returns the
/// final jobs and the highest `VmRSS` seen.
async fn wait_sampling(app: &TestApp, pid: u32, jobs: &[String]) -> (Vec<Value>, u64) {
    let highest = Arc::new(AtomicU64::new(0));
    let sampler = {
        let highest = highest.clone();
        tokio::spawn(async move {
            loop {
                highest.fetch_max(memory(pid, "VmRSS:"), Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        })
    };
    let mut finished = Vec::new();
    for job in jobs {
        finished.push(app.wait_for_job(job).await);
    }
    sampler.abort();
    (finished, highest.load(Ordering::SeqCst))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bombs_fed_to_a_worker_keep_its_memory_under_render_slots_times_the_per_render_budget() {
    let app = spawn(Roles { api: true, worker: false }, |_| {}).await;
    let max_pixels = Limits::default().max_source_pixels;
    let side = (max_pixels as f64).sqrt() as u32;
    assert_eq!(u64::from(side) * u64::from(side), max_pixels, "a square bomb of exactly the limit");
    let (at_limit, over_limit) = (png_bomb(side, side), png_bomb(side + 1, side));
    assert!(at_limit.len() < 2 * MIB as usize, "{} bytes decode to {max_pixels} pixels", at_limit.len());
    let storage = &app.running.as_ref().unwrap().storage;
    let mut sources = Vec::new();
    for (name, bytes) in [("bomb-at-limit", at_limit), ("bomb-over-limit", over_limit)] {
        let handle =
            admin::add_image(&app.pool, storage, app.company, &app.folder, name, bytes).await.unwrap();
        sources.push(handle.to_string());
    }
    let warm_up = app.add_image("chelsea", "chelsea.png").await.to_string();
    let mut worker = worker(&app);
    let pid = worker.id().unwrap();
    for job in submit(&app, &warm_up, 1, "warm-up").await {
        assert_eq!(app.wait_for_job(&job).await["state"], "succeeded");
    }
    let baseline = memory(pid, "VmHWM:");

    let over_jobs = submit(&app, &sources[1], 2, "over").await;
    let (refused, _) = wait_sampling(&app, pid, &over_jobs).await;
    let after_refusals = memory(pid, "VmHWM:");
    let bomb_jobs = submit(&app, &sources[0], JOBS_IN_FLIGHT as usize, "bomb").await;
    let (rendered, sampled) = wait_sampling(&app, pid, &bomb_jobs).await;
    // The kernel's high-water mark catches what 10 ms samples might miss.
    let peak = memory(pid, "VmHWM:");
    let bound = baseline + RENDER_SLOTS * RGB8_BYTES_PER_PIXEL * max_pixels;
    println!(
        "worker memory: baseline {} MiB, after over-limit bombs {} MiB, with {} bombs of {max_pixels} pixels on {RENDER_SLOTS} render slots: VmRSS sampled up to {} MiB, VmHWM {} MiB (bound {} MiB)",
        baseline / MIB,
        after_refusals / MIB,
        bomb_jobs.len(),
        sampled / MIB,
        peak / MIB,
        bound / MIB
    );
    let _ = worker.start_kill();
    let _ = worker.wait().await;

    for job in &refused {
        assert_eq!(job["state"], "failed", "{job}");
        assert_eq!(job["error"]["code"], "LimitExceeded", "{job}");
    }
    assert!(
        after_refusals < baseline + 64 * MIB,
        "refusing a bomb allocated {} MiB",
        (after_refusals - baseline) / MIB
    );
    for job in &rendered {
        assert_eq!(job["state"], "succeeded", "{job}");
    }
    assert!(peak > baseline + RGB8_BYTES_PER_PIXEL * max_pixels / 2, "the bombs were really decoded");
    assert!(peak <= bound, "peak {} MiB over the bound of {} MiB", peak / MIB, bound / MIB);
    app.stop().await;
}
