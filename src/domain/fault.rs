//! IPS fault codes (spec/ips-api.md §1.4): every client-visible error carries one.

use std::fmt;

/// Which of the three IPS fault elements an error belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultKind {
    Authentication,
    Authorization,
    IpsApi,
}

impl FaultKind {
    /// The SOAP detail element name, also used as `fault` in JSON bodies.
    pub fn element(self) -> &'static str {
        match self {
            FaultKind::Authentication => "authenticationFault",
            FaultKind::Authorization => "authorizationFault",
            FaultKind::IpsApi => "ipsApiFault",
        }
    }
}

/// What kind of problem a fault is, beyond its IPS code (30001 covers a malformed handle, an
/// unknown asset and a name clash alike); fronts that can say more, like HTTP statuses, use it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultClass {
    Unauthenticated,
    Forbidden,
    Invalid,
    NotFound,
    Conflict,
    /// A body over a configured size limit.
    TooLarge,
    /// Too many requests; the client may retry after this many seconds.
    RateLimited {
        retry_after_secs: u64,
    },
    /// A dependency (the database) cannot be reached; the same request may succeed later.
    Unavailable {
        retry_after_secs: u64,
    },
    Internal,
}

/// A client-visible error: an IPS code and a reason the client can act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    pub code: u32,
    pub reason: String,
    pub class: FaultClass,
}

impl Fault {
    pub const NO_CREDENTIALS: u32 = 10000;
    pub const INVALID_CREDENTIALS: u32 = 10001;
    pub const INVALID_USER: u32 = 10002;
    pub const INVALID_COMPANY: u32 = 20000;
    pub const NO_OPERATION_PERMISSION: u32 = 20003;
    pub const ILLEGAL_COMPANY: u32 = 20006;
    pub const EXCEPTION: u32 = 30000;
    pub const INVALID_PARAMETER: u32 = 30001;
    pub const MISSING_PARAMETER: u32 = 30002;
    pub const INVALID_REQUEST_XML: u32 = 30003;

    pub fn new(code: u32, reason: impl Into<String>) -> Self {
        let class = match code {
            10000..=19999 => FaultClass::Unauthenticated,
            20000..=29999 => FaultClass::Forbidden,
            Self::EXCEPTION => FaultClass::Internal,
            _ => FaultClass::Invalid,
        };
        Self { code, reason: reason.into(), class }
    }

    /// 30000 for a dependency that is down for a while: the client may retry after `retry_after_secs`.
    pub fn unavailable(reason: impl Into<String>, retry_after_secs: u64) -> Self {
        Self { class: FaultClass::Unavailable { retry_after_secs }, ..Self::new(Self::EXCEPTION, reason) }
    }

    /// 30001 for something the client named that does not exist (or that it may not see).
    pub fn not_found(reason: impl Into<String>) -> Self {
        Self { class: FaultClass::NotFound, ..Self::invalid_parameter(reason) }
    }

    /// 30000 for a name or key already in use: the code of IPS's own "Asset ID '…' is already in
    /// use" fault in a real capture (not 30001, which IPS gives a bad value).
    pub fn conflict(reason: impl Into<String>) -> Self {
        Self { class: FaultClass::Conflict, ..Self::new(Self::EXCEPTION, reason) }
    }

    /// 30001, the code IPS uses for a bad handle, an unknown asset or folder, a name clash.
    pub fn invalid_parameter(reason: impl Into<String>) -> Self {
        Self::new(Self::INVALID_PARAMETER, reason)
    }

    /// 30001 for a body over a size limit, which the reason names.
    pub fn too_large(reason: impl Into<String>) -> Self {
        Self { class: FaultClass::TooLarge, ..Self::invalid_parameter(reason) }
    }

    /// 30002: a required element or field is absent.
    pub fn missing_parameter(name: &str) -> Self {
        Self::new(Self::MISSING_PARAMETER, format!("{name} is required"))
    }

    /// The fault element the code belongs to.
    pub fn kind(&self) -> FaultKind {
        match self.code {
            10000..=19999 => FaultKind::Authentication,
            20000..=29999 => FaultKind::Authorization,
            _ => FaultKind::IpsApi,
        }
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: {}", self.kind().element(), self.code, self.reason)
    }
}

impl std::error::Error for Fault {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_map_to_the_ips_fault_element_of_their_range() {
        assert_eq!(Fault::new(10001, "x").kind().element(), "authenticationFault");
        assert_eq!(Fault::new(20003, "x").kind().element(), "authorizationFault");
        assert_eq!(Fault::new(30001, "x").kind().element(), "ipsApiFault");
    }
}
