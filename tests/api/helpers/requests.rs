//! Requests that name the status they expect, so a test cannot ignore it: each panics with the
//! request and the answer's body when the status differs, and returns only what is left to check.

use reqwest::{Method, RequestBuilder, header::HeaderMap};
use serde_json::Value;

use super::{PASSWORD, TestApp, encode};

/// How much of an unexpected body a failure message shows.
const SHOWN_BYTES: usize = 4_000;

/// An answer that had the expected status.
pub struct Reply {
    /// The request, as "METHOD url", for messages.
    pub what: String,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Reply {
    /// The body as JSON; panics when it is not.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("{}: the body is not JSON ({e}): {}", self.what, shown(&self.body)))
    }

    /// The body as JSON, `null` when there is none.
    pub fn json_or_null(&self) -> Value {
        if self.body.is_empty() { Value::Null } else { self.json() }
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// A header's value, when present.
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers.get(name).map(|v| v.to_str().expect("a visible header value").to_string())
    }
}

fn shown(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(SHOWN_BYTES)]).into_owned();
    if body.len() > SHOWN_BYTES { format!("{text}… ({} bytes)", body.len()) } else { text }
}

/// Sends `request` with the client it was built on; panics, naming the request and showing the
/// body, unless the answer's status is `expected`.
pub async fn send_expecting(expected: u16, request: RequestBuilder) -> Reply {
    let (status, reply) = send(request).await;
    assert_eq!(status, expected, "{} answered {status}, not {expected}: {}", reply.what, shown(&reply.body));
    reply
}

/// Sends `request` and returns whatever status it got: only for callers that must see several.
async fn send(request: RequestBuilder) -> (u16, Reply) {
    let (client, request) = request.build_split();
    let request = request.expect("the request builds");
    let what = format!("{} {}", request.method(), request.url());
    let response = client.execute(request).await.unwrap_or_else(|e| panic!("{what}: not sent: {e}"));
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response.bytes().await.unwrap_or_else(|e| panic!("{what}: reading the body: {e}")).to_vec();
    (status, Reply { what, headers, body })
}

impl TestApp {
    /// POSTs a copy as the test user; returns the JSON body.
    pub async fn submit(&self, expected: u16, body: &Value) -> Value {
        self.submit_as(expected, &self.email, PASSWORD, body).await
    }

    pub async fn submit_as(&self, expected: u16, email: &str, password: &str, body: &Value) -> Value {
        let request =
            self.http.post(format!("{}/v1/copies", self.base)).basic_auth(email, Some(password)).json(body);
        send_expecting(expected, request).await.json()
    }

    /// GETs a path as the test user; returns the JSON body.
    pub async fn get_json(&self, expected: u16, path: &str) -> Value {
        self.get_json_as(expected, &self.email, path).await
    }

    pub async fn get_json_as(&self, expected: u16, email: &str, path: &str) -> Value {
        let request = self.http.get(format!("{}{path}", self.base)).basic_auth(email, Some(PASSWORD));
        send_expecting(expected, request).await.json()
    }

    /// Sends `method` to `path` as `email` with an optional JSON body; returns the JSON body
    /// (`null` when the answer has none).
    pub async fn request_json_as(
        &self,
        expected: u16,
        email: &str,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Value {
        let mut request =
            self.http.request(method, format!("{}{path}", self.base)).basic_auth(email, Some(PASSWORD));
        if let Some(body) = body {
            request = request.json(body);
        }
        send_expecting(expected, request).await.json_or_null()
    }

    /// POSTs JSON to `path` as the test user.
    pub async fn post_json(&self, expected: u16, path: &str, body: &Value) -> Value {
        self.request_json_as(expected, &self.email, Method::POST, path, Some(body)).await
    }

    /// Fetches an asset's content: content type and bytes.
    pub async fn content(&self, expected: u16, asset_handle: &str) -> (String, Vec<u8>) {
        let request = self
            .http
            .get(format!("{}/v1/assets/{}/content", self.base, encode(asset_handle)))
            .basic_auth(&self.email, Some(PASSWORD));
        let reply = send_expecting(expected, request).await;
        (reply.header("content-type").unwrap_or_default(), reply.body)
    }

    /// GETs a path of the operators' listener; returns the body text.
    pub async fn get_ops_text(&self, expected: u16, path: &str) -> String {
        send_expecting(expected, self.http.get(format!("{}{path}", self.ops_base))).await.text()
    }

    /// GETs a path without credentials; returns whatever status it got, and the body text. Only
    /// for polls that wait through one status for another (`/readyz` while a dependency is down).
    pub async fn get_text_any_status(&self, path: &str) -> (u16, String) {
        let (status, reply) = send(self.http.get(format!("{}{path}", self.base))).await;
        (status, reply.text())
    }

    /// GETs a path without credentials; returns the body text.
    pub async fn get_text(&self, expected: u16, path: &str) -> String {
        send_expecting(expected, self.http.get(format!("{}{path}", self.base))).await.text()
    }
}
