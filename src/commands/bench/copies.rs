//! The copy load: submits copies through the batch API, waits until all are final, and prints
//! throughput and submit→done latency, then what the subscribed receivers got.

use std::{collections::HashMap, sync::Arc, time::Instant};

use anyhow::{Context, bail};
use futures::{StreamExt, stream};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::{Value, json};
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

use super::{Api, BenchArgs, Endpoints, receiver, report};
use crate::{
    admin,
    app::open_storage,
    db,
    domain::{CompanyHandle, JobState},
};

/// A generated PNG source: a colour gradient, so it does not compress to nothing.
fn source_png(size: u32) -> anyhow::Result<Vec<u8>> {
    let image = image::RgbImage::from_fn(size, size, |x, y| {
        image::Rgb([(x * 255 / size.max(1)) as u8, (y * 255 / size.max(1)) as u8, ((x + y) % 256) as u8])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    image.write_to(&mut out, image::ImageFormat::Png)?;
    Ok(out.into_inner())
}

fn progress_bar(len: usize, message: &'static str) -> anyhow::Result<ProgressBar> {
    let bar = ProgressBar::new(len as u64);
    bar.set_style(
        ProgressStyle::with_template("{msg:>9} [{bar:40}] {pos}/{len} {per_sec}")?.progress_chars("=> "),
    );
    bar.set_message(message);
    Ok(bar)
}

/// The images the copies are made from: the `--source-file`s, or a generated PNG.
pub async fn source_bytes(args: &BenchArgs) -> anyhow::Result<Vec<Vec<u8>>> {
    if args.source_file.is_empty() {
        return Ok(vec![source_png(args.source_size)?]);
    }
    let mut files = Vec::with_capacity(args.source_file.len());
    for path in &args.source_file {
        files.push(tokio::fs::read(path).await.with_context(|| format!("reading {}", path.display()))?);
    }
    Ok(files)
}

/// Runs the copies and prints the figures; returns the completed copies per second.
pub async fn run(
    args: &BenchArgs,
    pool: &PgPool,
    api: &Api,
    company: CompanyHandle,
    endpoints: &Endpoints,
) -> anyhow::Result<f64> {
    let folder = admin::add_folder(pool, company, "/bench").await?;
    let store_shutdown = CancellationToken::new();
    let (storage, _) = open_storage(&args.s3, store_shutdown.clone()).await?;
    let files = source_bytes(args).await?;
    let masters = args.masters.clamp(1, args.copies.max(1));
    let stored: anyhow::Result<Vec<String>> = async {
        let mut sources = Vec::with_capacity(masters);
        for i in 0..masters {
            let (name, bytes) = (format!("source-{i}"), files[i % files.len()].clone());
            sources.push(admin::add_image(pool, &storage, company, &folder, &name, bytes).await?.to_string());
        }
        Ok(sources)
    }
    .await;
    store_shutdown.cancel();
    let sources = stored?;
    eprintln!("company {company}, {} copies of {masters} master(s) through {:?}", args.copies, args.modifier);

    let bodies: Vec<Value> = (0..args.copies)
        .collect::<Vec<_>>()
        .chunks(args.batch)
        .map(|chunk| {
            let items: Vec<Value> = chunk
                .iter()
                .map(|&i| {
                    json!({
                        "assetHandle": sources[i * masters / args.copies.max(1)],
                        "folderHandle": folder.to_string(),
                        "name": format!("copy-{i}"),
                        "urlModifier": args.modifier[i % args.modifier.len()],
                    })
                })
                .collect();
            json!({ "companyHandle": company.to_string(), "items": items })
        })
        .collect();
    let progress = Arc::new(progress_bar(args.copies, "accepted")?);
    // The run ends when the last job finished, by the database's clock: how often the loop
    // below looks must not change the figure, so it can look rarely and cost little.
    let started_at = db::bench::now(pool).await?;
    let started = Instant::now();
    let results: Vec<anyhow::Result<usize>> = stream::iter(bodies)
        .map(|body| {
            let progress = progress.clone();
            async move {
                let response =
                    api.post("/v1/copies/batch").json(&body).send().await.context("submitting a batch")?;
                let status = response.status();
                let answer: Value = response.json().await.context("reading the batch answer")?;
                if status.as_u16() != 202 {
                    bail!("batch refused with {status}: {answer}");
                }
                let accepted = answer["acceptedCount"].as_u64().unwrap_or(0) as usize;
                progress.inc(accepted as u64);
                Ok(accepted)
            }
        })
        .buffer_unordered(args.parallel.max(1))
        .collect()
        .await;
    let submit_elapsed = started.elapsed();
    let accepted: usize = results.into_iter().collect::<anyhow::Result<Vec<_>>>()?.into_iter().sum();
    progress.finish();

    let done = progress_bar(accepted, "finished")?;
    loop {
        let finished = db::bench::finished(pool, company.0).await?;
        done.set_position(finished as u64);
        if finished as usize >= accepted {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    }
    done.finish();
    // Null when nothing was accepted: the rate is then undefined, not an error.
    let total_secs = db::bench::finished_after(pool, company.0, started_at).await?;
    let rows = db::bench::latencies(pool, company.0).await?;
    let failed = rows.iter().filter(|&&(state, _)| state != JobState::Succeeded).count();
    let mut latencies: Vec<f64> = rows.iter().map(|(_, secs)| secs * 1000.0).collect();
    latencies.sort_by(f64::total_cmp);
    println!("copies submitted   {}", args.copies);
    println!("copies accepted    {accepted}");
    println!("copies failed      {failed}");
    println!("accepted/s         {:.0}", accepted as f64 / submit_elapsed.as_secs_f64());
    let completed_per_sec = accepted as f64 / total_secs.unwrap_or(f64::NAN);
    println!("completed/s        {completed_per_sec:.1}");
    println!(
        "submit→done ms     p50 {:.0}  p95 {:.0}  p99 {:.0}",
        report::percentile(&latencies, 50.0),
        report::percentile(&latencies, 95.0),
        report::percentile(&latencies, 99.0)
    );
    if endpoints.is_empty() {
        return Ok(completed_per_sec);
    }

    let finished: HashMap<i64, _> = db::bench::succeeded_at(pool, company.0).await?.into_iter().collect();
    let stall = std::time::Duration::from_secs_f64(args.webhook_wait_secs.max(0.0));
    if !receiver::wait_for(&endpoints.fast, finished.len(), stall).await {
        eprintln!("gave up waiting for webhook events: none came for {stall:?}");
    }
    for (group, receivers) in [("fast", &endpoints.fast), ("slow", &endpoints.slow)] {
        if !receivers.is_empty() {
            let logs: Vec<_> = receivers.iter().map(receiver::Receiver::receipts).collect();
            println!("{}", report::summarise(&logs, &finished).line(group, "finish→receipt"));
        }
    }
    Ok(completed_per_sec)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_generated_source_is_a_png_of_the_asked_size() {
        let info = ipscopy_render::probe(&source_png(64).unwrap()).unwrap();
        assert_eq!((info.width, info.height, info.format), (64, 64, "png"));
    }
}
