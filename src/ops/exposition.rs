//! The scrape-time gauges in Prometheus text format. They describe one deployment, so they are
//! written from a fresh [`Figures`] on each scrape rather than kept in the process-wide recorder.

use std::fmt::Write;

use super::figures::{EndpointBacklog, Figures};

/// The `endpoint` label of the endpoints past the bound, summed.
const OTHER: &str = "other";

/// A gauge family being written.
struct Gauges<'a>(&'a mut String);

impl Gauges<'_> {
    fn family(&mut self, name: &str, help: &str) -> &mut Self {
        let _ = writeln!(self.0, "# HELP {name} {help}\n# TYPE {name} gauge");
        self
    }

    fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: f64) -> &mut Self {
        let _ = write!(self.0, "{name}");
        if !labels.is_empty() {
            let pairs: Vec<String> = labels.iter().map(|(k, v)| format!("{k}=\"{}\"", escape(v))).collect();
            let _ = write!(self.0, "{{{}}}", pairs.join(","));
        }
        let _ = writeln!(self.0, " {value}");
        self
    }

    fn one(&mut self, name: &str, help: &str, labels: &[(&str, &str)], value: f64) {
        self.family(name, help).sample(name, labels, value);
    }
}

fn escape(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

/// Writes the deployment's gauges; `busy_here`/`slots_here` describe this process's own worker.
pub fn write(out: &mut String, figures: &Figures, worker_here: Option<(i64, i64)>) {
    let queue = figures.queue.as_str();
    let q = [("queue", queue)];
    let mut g = Gauges(out);
    g.one(
        "ipscopy_broker_up",
        "Whether RabbitMQ answered the ops probe (1) or not (0).",
        &[],
        f64::from(u8::from(figures.broker.reachable)),
    );
    if let Some(ready) = figures.broker.ready {
        g.one(
            "ipscopy_queue_messages_ready",
            "Job messages waiting in the broker for a worker.",
            &q,
            f64::from(ready),
        );
    }
    g.one(
        "ipscopy_queue_messages_unacked",
        "Job messages delivered to workers and not yet acknowledged, from worker heartbeats.",
        &q,
        figures.broker.unacked as f64,
    );
    if let Some(consumers) = figures.broker.consumers {
        g.one("ipscopy_queue_consumers", "Consumers on the jobs queue.", &q, f64::from(consumers));
    }
    if let Some(dead) = figures.broker.dead_lettered {
        g.one(
            "ipscopy_queue_messages_dead_lettered",
            "Messages in the dead-letter queue.",
            &q,
            f64::from(dead),
        );
    }
    g.family("ipscopy_jobs", "Copy jobs by state, from PostgreSQL.");
    for (state, count) in &figures.jobs {
        g.sample("ipscopy_jobs", &[("state", state)], *count as f64);
    }
    g.one(
        "ipscopy_jobs_scheduled_retries",
        "Queued jobs whose retry is scheduled later.",
        &[],
        figures.scheduled_retries as f64,
    );
    g.one(
        "ipscopy_oldest_queued_job_age_seconds",
        "How long the oldest due queued job has waited (0 when none waits).",
        &[],
        figures.oldest_queued_age_seconds.unwrap_or(0.0),
    );
    g.one(
        "ipscopy_outbox_rows",
        "Jobs written but not yet handed to the broker.",
        &[],
        figures.outbox.rows as f64,
    );
    g.one("ipscopy_outbox_due_rows", "Outbox rows due for publishing now.", &[], figures.outbox.due as f64);
    g.one(
        "ipscopy_outbox_lag_seconds",
        "Age of the oldest due outbox row: how far the relay is behind.",
        &[],
        figures.outbox.lag_seconds,
    );
    g.family("ipscopy_webhook_deliveries", "Webhook deliveries by state.");
    for (state, count) in &figures.webhooks.deliveries {
        g.sample("ipscopy_webhook_deliveries", &[("state", state)], *count as f64);
    }
    g.one(
        "ipscopy_webhook_oldest_due_age_seconds",
        "Age of the oldest webhook delivery that is due and not yet delivered.",
        &[],
        figures.webhooks.oldest_due_age_seconds,
    );
    let endpoints = &figures.webhooks.endpoints;
    let label = |e: &EndpointBacklog| e.webhook_handle.map_or_else(|| OTHER.to_string(), |h| h.to_string());
    g.family(
        "ipscopy_webhook_endpoint_due_deliveries",
        "Webhook deliveries due and not yet delivered, by endpoint (the busiest; the rest as other).",
    );
    for e in endpoints {
        g.sample(
            "ipscopy_webhook_endpoint_due_deliveries",
            &[("endpoint", &label(e))],
            e.due_deliveries as f64,
        );
    }
    g.family(
        "ipscopy_webhook_endpoint_oldest_due_age_seconds",
        "Age of an endpoint's oldest due webhook delivery (the busiest endpoints; the rest as other).",
    );
    for e in endpoints {
        g.sample(
            "ipscopy_webhook_endpoint_oldest_due_age_seconds",
            &[("endpoint", &label(e))],
            e.oldest_due_age_seconds,
        );
    }
    g.one("ipscopy_fleet_workers", "Workers whose heartbeat is fresh.", &[], figures.fleet.workers as f64);
    g.one("ipscopy_fleet_slots", "Render slots of the live workers.", &[], figures.fleet.slots as f64);
    g.one(
        "ipscopy_fleet_slots_busy",
        "Busy render slots of the live workers.",
        &[],
        figures.fleet.busy as f64,
    );
    if let Some((busy, slots)) = worker_here {
        g.one("ipscopy_worker_slots", "Render slots of this process's worker.", &[], slots as f64);
        g.one("ipscopy_worker_slots_busy", "Busy render slots of this process's worker.", &[], busy as f64);
    }
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn label_values_are_escaped_for_the_text_format() {
        assert_eq!(escape("c|1"), "c|1");
        assert_eq!(escape("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}
