//! `GET /status`: one self-refreshing HTML page, compiled into the binary, that draws its charts
//! as inline SVG from `/v1/queues` and `/v1/queues/history`.

use axum::response::Html;

const PAGE: &str = include_str!("status.html");

pub(super) async fn page() -> Html<&'static str> {
    Html(PAGE)
}
