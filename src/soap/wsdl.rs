//! The WSDL files, describing exactly the operations `ops::OPERATIONS` implements.

use axum::{
    extract::Path,
    http::{StatusCode, header},
    response::{IntoResponse, Response},
};

pub async fn serve(Path(file): Path<String>) -> Response {
    (StatusCode::NOT_FOUND, [(header::CONTENT_TYPE, "text/plain")], format!("no WSDL named {file}"))
        .into_response()
}
