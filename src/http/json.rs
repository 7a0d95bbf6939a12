//! JSON request bodies.

use super::ApiError;
use crate::domain::Fault;

/// Parses a JSON body, answering 30003 with the parser's reason when it is not valid.
pub fn parse_json<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(|e| {
        Fault::new(Fault::INVALID_REQUEST_XML, format!("the request body is not valid JSON: {e}")).into()
    })
}
