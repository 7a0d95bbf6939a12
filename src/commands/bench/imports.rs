//! The import load: serves one image from a loopback HTTP server in this process, imports it
//! `--copies` times through `POST /v1/imports` into a company of its own, and prints imports/s
//! end to end (first submit to last job's end, by the database's clock); the caller then runs
//! the copies of the same image and compares the rates.

use std::time::Duration;

use anyhow::{Context, bail};
use axum::{Router, routing::get};
use futures::{StreamExt, stream};
use serde_json::{Value, json};
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

use super::{Api, BenchArgs};
use crate::{
    admin, db,
    domain::{CompanyHandle, JobState, Role},
};

/// Imports the image `bytes` `args.copies` times; returns the completed imports per second.
pub async fn run(
    args: &BenchArgs,
    pool: &PgPool,
    api: &Api,
    tag: &str,
    bytes: Vec<u8>,
    shutdown: &CancellationToken,
) -> anyhow::Result<f64> {
    let company = admin::add_company(pool, &format!("bench-imports-{tag}")).await?;
    admin::add_member(pool, company, &api.email, Role::IpsUser).await?;
    let folder = admin::add_folder(pool, company, "/imports").await?;
    let url = serve(bytes, shutdown).await?;
    eprintln!("company {company}, {} imports of {url}", args.copies);

    let bodies: Vec<Value> = (0..args.copies)
        .collect::<Vec<_>>()
        .chunks(args.batch)
        .map(|chunk| {
            let items: Vec<Value> = chunk
                .iter()
                .map(|i| json!({ "sourceUrl": url, "folderHandle": folder.to_string(), "name": format!("import-{i}") }))
                .collect();
            json!({ "companyHandle": company.to_string(), "items": items })
        })
        .collect();
    let started_at = db::bench::now(pool).await?;
    let accepted: Vec<anyhow::Result<usize>> = stream::iter(bodies)
        .map(|body| async move {
            let response =
                api.post("/v1/imports").json(&body).send().await.context("submitting an import")?;
            let status = response.status();
            let answer: Value = response.json().await.context("reading the import answer")?;
            if status.as_u16() != 202 {
                bail!("import refused with {status}: {answer}");
            }
            Ok(answer["acceptedCount"].as_u64().unwrap_or(0) as usize)
        })
        .buffer_unordered(args.parallel.max(1))
        .collect()
        .await;
    let accepted: usize = accepted.into_iter().collect::<anyhow::Result<Vec<_>>>()?.into_iter().sum();
    wait_for(pool, company, accepted).await?;
    let total_secs = db::bench::finished_after(pool, company.0, started_at).await?;
    let rows = db::bench::latencies(pool, company.0).await?;
    let failed = rows.iter().filter(|&&(state, _)| state != JobState::Succeeded).count();
    let rate = accepted as f64 / total_secs.unwrap_or(f64::NAN);
    println!("imports accepted   {accepted}");
    println!("imports failed     {failed}");
    println!("imports/s          {rate:.0}");
    if failed > 0 {
        bail!("{failed} imports failed: does the server allow 127.0.0.1 in IPSCOPY_IMPORT_ALLOWED_NETWORKS?");
    }
    Ok(rate)
}

/// Serves `bytes` at `/source` on a loopback port until `shutdown`; returns its URL.
async fn serve(bytes: Vec<u8>, shutdown: &CancellationToken) -> anyhow::Result<String> {
    let bytes = bytes::Bytes::from(bytes);
    let router = Router::new().route("/source", get(move || std::future::ready(bytes.clone())));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.context("binding the source server")?;
    let addr = listener.local_addr()?;
    let stop = shutdown.clone();
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).with_graceful_shutdown(stop.cancelled_owned()).await;
    });
    Ok(format!("http://{addr}/source"))
}

/// Waits until `count` jobs of `company` are final.
async fn wait_for(pool: &PgPool, company: CompanyHandle, count: usize) -> anyhow::Result<()> {
    while (db::bench::finished(pool, company.0).await? as usize) < count {
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    Ok(())
}
