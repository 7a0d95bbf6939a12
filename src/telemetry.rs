//! Logging set-up: human-readable by default, JSON with `IPSCOPY_LOG_FORMAT=json`.

use tracing_subscriber::{EnvFilter, fmt};

/// Installs the global subscriber; logs go to stderr so commands can print results on stdout.
pub fn init() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let json = std::env::var("IPSCOPY_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json"));
    let _ = if json { builder.json().try_init() } else { builder.try_init() };
}

/// The span of one HTTP request: method and URI at once, and the company, job and asset handles
/// once a handler knows them (see [`record_handles`]), so every line it logs can be found by any
/// of them.
pub fn request_span<B>(request: &axum::http::Request<B>) -> tracing::Span {
    tracing::info_span!(
        "request",
        method = %request.method(),
        uri = %request.uri(),
        company = tracing::field::Empty,
        job = tracing::field::Empty,
        asset = tracing::field::Empty,
    )
}

/// Records the handles a request is about on its span.
pub fn record_handles(
    company: &dyn std::fmt::Display,
    job: &dyn std::fmt::Display,
    asset: &dyn std::fmt::Display,
) {
    let span = tracing::Span::current();
    span.record("company", tracing::field::display(company));
    span.record("job", tracing::field::display(job));
    span.record("asset", tracing::field::display(asset));
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::{record_handles, request_span};

    /// Collects what the subscriber writes.
    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Buffer {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn json_lines_inside_a_request_carry_its_method_uri_and_handles() {
        let buffer = Buffer::default();
        let writer = buffer.clone();
        let subscriber = tracing_subscriber::fmt().json().with_writer(move || writer.clone()).finish();
        tracing::subscriber::with_default(subscriber, || {
            let request = axum::http::Request::post("/v1/copies").body(()).unwrap();
            let _inside = request_span(&request).entered();
            record_handles(&"c|7", &"j|7||copyImage-9|9", &"a|7|1|3");
            tracing::info!("copy accepted");
        });
        let text = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
        let line: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
        let span = &line["span"];
        assert_eq!(span["name"], "request");
        assert_eq!(span["method"], "POST");
        assert_eq!(span["uri"], "/v1/copies");
        assert_eq!(span["company"], "c|7");
        assert_eq!(span["job"], "j|7||copyImage-9|9");
        assert_eq!(span["asset"], "a|7|1|3");
    }
}
