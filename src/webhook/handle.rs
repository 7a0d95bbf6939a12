//! `w|<endpointId>`: the handle of a webhook endpoint.

use std::fmt;

use crate::domain::Fault;

/// A webhook endpoint's handle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EndpointHandle(pub i64);

impl EndpointHandle {
    pub fn parse(text: &str) -> Result<Self, Fault> {
        text.strip_prefix("w|")
            .filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|n| n.parse().ok())
            .filter(|&n| n > 0)
            .map(Self)
            .ok_or_else(|| Fault::invalid_parameter(format!("webhookHandle {text:?} is not a valid handle")))
    }
}

impl fmt::Display for EndpointHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "w|{}", self.0)
    }
}

impl serde::Serialize for EndpointHandle {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_handles_round_trip_and_refuse_other_shapes() {
        assert_eq!(EndpointHandle(7).to_string(), "w|7");
        assert_eq!(EndpointHandle::parse("w|7"), Ok(EndpointHandle(7)));
        for bad in ["", "w|", "w|0", "w|-1", "w|1|2", "c|1", "7"] {
            assert_eq!(EndpointHandle::parse(bad).unwrap_err().code, Fault::INVALID_PARAMETER, "{bad}");
        }
    }
}
