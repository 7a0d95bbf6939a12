//! `ipscopy submit`: sends a CSV or JSON-lines file of copies through the batch API, with an
//! idempotency key per batch so a re-run after an interruption creates nothing twice.

use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::{batch::MAX_ITEMS, copy::CopyTarget, secret::ExposeSecret};

#[derive(Args)]
pub struct SubmitArgs {
    /// Company handle the copies are made in (`c|N`).
    #[arg(long)]
    company: String,
    #[command(flatten)]
    api: super::ApiLogin,
    /// Copies per batch request.
    #[arg(long, default_value_t = MAX_ITEMS)]
    batch: usize,
    /// Return once every copy is accepted, without waiting for the renders.
    #[arg(long)]
    no_wait: bool,
    /// CSV with a header (assetHandle,folderHandle,name,urlModifier[,callbackUrl]) or JSON lines
    /// with the same fields.
    file: PathBuf,
}

/// Reads the copies of a file, CSV or JSON lines (told apart by the first character).
fn read_items(bytes: &[u8]) -> anyhow::Result<Vec<CopyTarget>> {
    let text = std::str::from_utf8(bytes).context("the file is not UTF-8")?;
    if text.trim_start().starts_with('{') {
        return text
            .lines()
            .enumerate()
            .filter(|(_, line)| !line.trim().is_empty())
            .map(|(n, line)| {
                let item: SubmitItem =
                    serde_json::from_str(line).with_context(|| format!("line {}", n + 1))?;
                Ok(item.into())
            })
            .collect();
    }
    let mut reader = csv::ReaderBuilder::new().trim(csv::Trim::All).from_reader(bytes);
    reader
        .deserialize::<SubmitItem>()
        .enumerate()
        .map(|(n, row)| Ok(row.with_context(|| format!("CSV record {}", n + 1))?.into()))
        .collect()
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct SubmitItem {
    asset_handle: String,
    folder_handle: String,
    name: String,
    #[serde(default)]
    url_modifier: String,
    #[serde(default)]
    callback_url: Option<String>,
}

impl From<SubmitItem> for CopyTarget {
    fn from(i: SubmitItem) -> Self {
        CopyTarget {
            asset_handle: i.asset_handle,
            folder_handle: i.folder_handle,
            name: i.name,
            url_modifier: i.url_modifier,
            callback_url: i.callback_url.filter(|u| !u.is_empty()),
        }
    }
}

fn bar(len: usize, message: &'static str) -> anyhow::Result<ProgressBar> {
    let bar = ProgressBar::new(len as u64);
    bar.set_style(
        ProgressStyle::with_template("{msg:>9} [{bar:40}] {pos}/{len} {per_sec} eta {eta}")?
            .progress_chars("=> "),
    );
    bar.set_message(message);
    Ok(bar)
}

/// Submits the file; exits non-zero when any copy was refused or failed.
pub async fn run(args: SubmitArgs) -> anyhow::Result<()> {
    if args.batch == 0 || args.batch > MAX_ITEMS {
        bail!("--batch must be 1 to {MAX_ITEMS}");
    }
    let bytes =
        tokio::fs::read(&args.file).await.with_context(|| format!("reading {}", args.file.display()))?;
    let items = read_items(&bytes)?;
    // The same file for the same company always yields the same keys: a re-run replays.
    let digest = Sha256::digest(&bytes);
    let file_id: String = digest.iter().take(12).map(|b| format!("{b:02x}")).collect();
    let http = reqwest::Client::new();
    let accepted_bar = bar(items.len(), "accepted")?;
    let mut batches = Vec::new();
    let mut refused = Vec::new();
    let mut accepted = 0;
    for (index, chunk) in items.chunks(args.batch).enumerate() {
        let body = json!({
            "companyHandle": args.company,
            "items": chunk.iter().map(|i| json!({
                "assetHandle": i.asset_handle, "folderHandle": i.folder_handle, "name": i.name,
                "urlModifier": i.url_modifier, "callbackUrl": i.callback_url,
            })).collect::<Vec<_>>(),
        });
        let key = format!("submit-{file_id}-{}-{index}", args.company);
        let response = http
            .post(format!("{}/v1/copies/batch", args.api.url))
            .basic_auth(&args.api.user, Some(args.api.password.expose_secret()))
            .header("Idempotency-Key", key)
            .json(&body)
            .send()
            .await
            .context("sending a batch")?;
        let status = response.status();
        let answer: Value = response.json().await.context("reading the batch answer")?;
        if status.as_u16() != 202 {
            bail!("batch {} refused with HTTP {status}: {}", index + 1, answer["reason"]);
        }
        for (offset, item) in answer["items"].as_array().into_iter().flatten().enumerate() {
            if item.get("code").is_some() {
                let line = index * args.batch + offset;
                refused.push(format!(
                    "item {} ({}): {} {}",
                    line + 1,
                    chunk[offset].name,
                    item["code"],
                    item["reason"]
                ));
            } else {
                accepted += 1;
                accepted_bar.inc(1);
            }
        }
        if let Some(handle) = answer["batchHandle"].as_str() {
            batches.push(handle.to_string());
        }
    }
    // Not finish(): it would move the bar to its length, refused lines included.
    accepted_bar.abandon();
    let mut failed = Vec::new();
    let mut succeeded = 0;
    if !args.no_wait && accepted > 0 {
        let done_bar = bar(accepted, "finished")?;
        loop {
            let mut finished = 0;
            succeeded = 0;
            failed.clear();
            for handle in &batches {
                let url = format!("{}/v1/batches/{}", args.api.url, handle.replace('|', "%7C"));
                let status: Value = http
                    .get(url)
                    .basic_auth(&args.api.user, Some(args.api.password.expose_secret()))
                    .send()
                    .await?
                    .json()
                    .await?;
                let count = |s: &str| status["counts"][s].as_u64().unwrap_or(0) as usize;
                finished += count("succeeded") + count("failed") + count("cancelled");
                succeeded += count("succeeded");
                for f in status["failedItems"].as_array().into_iter().flatten() {
                    failed.push(format!("{} ({}): {} {}", f["name"], f["jobHandle"], f["code"], f["reason"]));
                }
            }
            done_bar.set_position(finished as u64);
            if finished >= accepted {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        }
        done_bar.finish();
    }
    println!("copies in file   {}", items.len());
    println!("accepted         {accepted}");
    println!("refused          {}", refused.len());
    if !args.no_wait {
        println!("succeeded        {succeeded}");
        println!("failed           {}", failed.len());
    }
    for line in refused.iter().chain(failed.iter()) {
        println!("  {line}");
    }
    if refused.is_empty() && failed.is_empty() { Ok(()) } else { bail!("some copies were refused or failed") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_and_json_lines_give_the_same_items() {
        let csv = b"assetHandle,folderHandle,name,urlModifier\na|1,Acme/x/,one,wid=10\na|2,Acme/x/,two,\n";
        let jsonl = b"{\"assetHandle\":\"a|1\",\"folderHandle\":\"Acme/x/\",\"name\":\"one\",\"urlModifier\":\"wid=10\"}\n\n{\"assetHandle\":\"a|2\",\"folderHandle\":\"Acme/x/\",\"name\":\"two\"}\n";
        for items in [read_items(csv).unwrap(), read_items(jsonl).unwrap()] {
            assert_eq!(items.len(), 2);
            assert_eq!((items[0].name.as_str(), items[0].url_modifier.as_str()), ("one", "wid=10"));
            assert_eq!((items[1].asset_handle.as_str(), items[1].url_modifier.as_str()), ("a|2", ""));
        }
    }

    #[test]
    fn a_malformed_line_is_reported_with_its_number() {
        let err = read_items(b"{\"assetHandle\":\"a|1\"}\n").unwrap_err();
        assert!(format!("{err:#}").contains("line 1"), "{err:#}");
    }
}
