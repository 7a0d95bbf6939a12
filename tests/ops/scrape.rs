//! Reading what operators read: Prometheus samples and `/v1/queues`, and waiting for them.

use std::{collections::BTreeMap, time::Duration};

use serde_json::Value;

use crate::helpers::TestApp;

/// One sample of a scrape: metric name, labels, value.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub name: String,
    pub labels: BTreeMap<String, String>,
    pub value: f64,
}

/// Parses the Prometheus text format (enough of it for our own output: no escapes in values
/// beyond `\"`, no timestamps).
pub fn parse(text: &str) -> Vec<Sample> {
    text.lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|line| {
            let (series, value) =
                line.rsplit_once(' ').unwrap_or_else(|| panic!("malformed sample {line:?}"));
            let (name, labels) = match series.split_once('{') {
                Some((name, rest)) => (name, parse_labels(rest.trim_end_matches('}'))),
                None => (series, BTreeMap::new()),
            };
            let value = value.parse().unwrap_or_else(|_| panic!("malformed value in {line:?}"));
            Sample { name: name.to_string(), labels, value }
        })
        .collect()
}

fn parse_labels(text: &str) -> BTreeMap<String, String> {
    let mut labels = BTreeMap::new();
    let mut rest = text;
    while let Some((key, after)) = rest.split_once("=\"") {
        let mut value = String::new();
        let mut chars = after.char_indices();
        let mut end = after.len();
        while let Some((i, c)) = chars.next() {
            match c {
                '\\' => value.push(chars.next().map(|(_, c)| c).unwrap_or('\\')),
                '"' => {
                    end = i + 1;
                    break;
                }
                c => value.push(c),
            }
        }
        labels.insert(key.trim_start_matches(',').to_string(), value);
        rest = &after[end..];
    }
    labels
}

/// The value of the sample named `name` whose labels include `labels`, if it is exported.
pub fn value(samples: &[Sample], name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    samples
        .iter()
        .find(|s| s.name == name && labels.iter().all(|(k, v)| s.labels.get(*k).is_some_and(|l| l == v)))
        .map(|s| s.value)
}

/// Scrapes `/metrics`.
pub async fn metrics(app: &TestApp) -> Vec<Sample> {
    parse(&app.get_ops_text(200, "/metrics").await)
}

/// Reads `/v1/queues`.
pub async fn queues(app: &TestApp) -> Value {
    serde_json::from_str(&app.get_ops_text(200, "/v1/queues").await).expect("JSON body")
}

/// Reads `/v1/queues` until `done` holds; panics with the last answer after 60 s.
pub async fn queues_until(app: &TestApp, what: &str, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let figures = queues(app).await;
        if done(&figures) {
            return figures;
        }
        assert!(tokio::time::Instant::now() < deadline, "waited 60 s for {what}; last figures: {figures:#}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[test]
fn samples_are_read_with_their_labels() {
    let samples = parse("# HELP x y\nx_total{company=\"c|1\",code=\"A\\\"B\"} 3\nup 1\n");
    assert_eq!(value(&samples, "x_total", &[("company", "c|1"), ("code", "A\"B")]), Some(3.0));
    assert_eq!(value(&samples, "up", &[]), Some(1.0));
    assert_eq!(value(&samples, "x_total", &[("company", "c|2")]), None);
}
