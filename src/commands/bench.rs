//! `ipscopy bench`: an end-to-end load generator. It makes its own company and source image,
//! submits copies through the batch API of a running ipscopy, waits for all of them, and prints
//! throughput and submit→done latency.

use std::{sync::Arc, time::Instant};

use anyhow::{Context, bail};
use clap::Args;
use futures::{StreamExt, stream};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use crate::{
    admin,
    app::open_storage,
    config::{DbSettings, S3Settings},
    db,
    domain::{JobState, Role},
};

#[derive(Args)]
pub struct BenchArgs {
    #[command(flatten)]
    db: DbSettings,
    #[command(flatten)]
    s3: S3Settings,
    /// Base URL of the running API.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    url: String,
    /// Copies to submit.
    #[arg(long, default_value_t = 10_000)]
    copies: usize,
    /// Copies per batch request (at most 1,000).
    #[arg(long, default_value_t = 1_000)]
    batch: usize,
    /// Batch requests in flight at once (a bulk client keeps a few going, hiding each request's
    /// round trips to PostgreSQL behind the others).
    #[arg(long, default_value_t = 4)]
    parallel: usize,
    /// Side of the square PNG source, in pixels.
    #[arg(long, default_value_t = 64)]
    source_size: u32,
    /// The urlModifier of every copy.
    #[arg(long, default_value = "wid=32")]
    modifier: String,
}

/// A generated PNG source: a colour gradient, so it does not compress to nothing.
fn source_png(size: u32) -> anyhow::Result<Vec<u8>> {
    let image = image::RgbImage::from_fn(size, size, |x, y| {
        image::Rgb([(x * 255 / size.max(1)) as u8, (y * 255 / size.max(1)) as u8, ((x + y) % 256) as u8])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    image.write_to(&mut out, image::ImageFormat::Png)?;
    Ok(out.into_inner())
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

/// Runs the load and prints the figures.
pub async fn run(args: BenchArgs) -> anyhow::Result<()> {
    if args.batch == 0 || args.batch > crate::batch::MAX_ITEMS {
        bail!("--batch must be 1 to {}", crate::batch::MAX_ITEMS);
    }
    let pool = db::connect(&args.db, true).await?;
    let tag = uuid::Uuid::new_v4().simple().to_string()[..8].to_string();
    let company = admin::add_company(&pool, &format!("bench-{tag}")).await?;
    let email = format!("bench-{tag}@bench.example");
    let password = uuid::Uuid::new_v4().to_string();
    admin::add_user(&pool, &email, &password, None).await?;
    admin::add_member(&pool, company, &email, Role::IpsUser).await?;
    let folder = admin::add_folder(&pool, company, "/bench").await?;
    let store_shutdown = CancellationToken::new();
    let (storage, _) = open_storage(&args.s3, store_shutdown.clone()).await?;
    let source =
        admin::add_image(&pool, &storage, company, &folder, "source", source_png(args.source_size)?).await;
    store_shutdown.cancel();
    let source = source?;
    eprintln!("company {company}, source {source}, {} copies of {:?}", args.copies, args.modifier);

    let http = reqwest::Client::new();
    let bodies: Vec<Value> = (0..args.copies)
        .collect::<Vec<_>>()
        .chunks(args.batch)
        .map(|chunk| {
            let items: Vec<Value> = chunk
                .iter()
                .map(|i| {
                    json!({
                        "assetHandle": source.to_string(),
                        "folderHandle": folder.to_string(),
                        "name": format!("copy-{i}"),
                        "urlModifier": args.modifier,
                    })
                })
                .collect();
            json!({ "companyHandle": company.to_string(), "items": items })
        })
        .collect();
    let progress = Arc::new(ProgressBar::new(args.copies as u64));
    progress.set_style(
        ProgressStyle::with_template("{msg:>9} [{bar:40}] {pos}/{len} {per_sec}")?.progress_chars("=> "),
    );
    progress.set_message("accepted");
    // The run ends when the last job finished, by the database's clock: how often the loop
    // below looks must not change the figure, so it can look rarely and cost little.
    let started_at = db::bench::now(&pool).await?;
    let started = Instant::now();
    let results: Vec<anyhow::Result<usize>> = stream::iter(bodies)
        .map(|body| {
            let http = http.clone();
            let (url, email, password, progress) = (&args.url, &email, &password, progress.clone());
            async move {
                let response = http
                    .post(format!("{url}/v1/copies/batch"))
                    .basic_auth(email, Some(password))
                    .json(&body)
                    .send()
                    .await
                    .context("submitting a batch")?;
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

    let done = ProgressBar::new(accepted as u64);
    done.set_style(
        ProgressStyle::with_template("{msg:>9} [{bar:40}] {pos}/{len} {per_sec}")?.progress_chars("=> "),
    );
    done.set_message("finished");
    loop {
        let finished = db::bench::finished(&pool, company.0).await?;
        done.set_position(finished as u64);
        if finished as usize >= accepted {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    }
    done.finish();
    // Null when nothing was accepted: the rate is then undefined, not an error.
    let total_secs = db::bench::finished_after(&pool, company.0, started_at).await?;
    let rows = db::bench::latencies(&pool, company.0).await?;
    let failed = rows.iter().filter(|&&(state, _)| state != JobState::Succeeded).count();
    let mut latencies: Vec<f64> = rows.iter().map(|(_, secs)| secs * 1000.0).collect();
    latencies.sort_by(f64::total_cmp);
    println!("copies submitted   {}", args.copies);
    println!("copies accepted    {accepted}");
    println!("copies failed      {failed}");
    println!("accepted/s         {:.0}", accepted as f64 / submit_elapsed.as_secs_f64());
    println!("completed/s        {:.0}", accepted as f64 / total_secs.unwrap_or(f64::NAN));
    println!(
        "submit→done ms     p50 {:.0}  p95 {:.0}  p99 {:.0}",
        percentile(&latencies, 50.0),
        percentile(&latencies, 95.0),
        percentile(&latencies, 99.0)
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_pick_the_nearest_rank() {
        let sorted: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&sorted, 50.0), 51.0);
        assert_eq!(percentile(&sorted, 99.0), 99.0);
        assert!(percentile(&[], 50.0).is_nan());
    }

    #[test]
    fn the_generated_source_is_a_png_of_the_asked_size() {
        let info = ipscopy_render::probe(&source_png(64).unwrap()).unwrap();
        assert_eq!((info.width, info.height, info.format), (64, 64, "png"));
    }
}
