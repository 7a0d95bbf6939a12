use thiserror::Error;

/// A `urlModifier` that cannot be accepted: names the command and why.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{command}: {reason}")]
pub struct ModifierError {
    /// The offending command as the client wrote it (lower-cased), or `urlModifier` for the whole string.
    pub command: String,
    /// Why it was refused, in words a client can act on.
    pub reason: String,
}

impl ModifierError {
    pub(crate) fn new(command: impl Into<String>, reason: impl Into<String>) -> Self {
        Self { command: command.into(), reason: reason.into() }
    }
}

/// Why a render failed. Every variant is permanent: retrying the same bytes gives the same error.
#[derive(Debug, Error)]
pub enum RenderError {
    /// The source bytes are not an image we can decode.
    #[error("the source image cannot be decoded: {0}")]
    Undecodable(String),
    /// The source, output or an intermediate image exceeds a configured limit.
    #[error("{0}")]
    LimitExceeded(String),
    /// The output could not be encoded in the requested format.
    #[error("the copy cannot be encoded: {0}")]
    Encode(String),
    /// A step of the engine failed on valid input (a bug; the message says which step).
    #[error("the render failed: {0}")]
    Internal(String),
}

impl RenderError {
    /// A stable machine-readable code for clients and metrics.
    pub fn code(&self) -> &'static str {
        match self {
            RenderError::Undecodable(_) => "SourceUndecodable",
            RenderError::LimitExceeded(_) => "LimitExceeded",
            RenderError::Encode(_) => "EncodeFailed",
            RenderError::Internal(_) => "RenderFailed",
        }
    }
}
