//! The HTTP/1.1 upgrade handshake (RFC 6455 §4), both roles.

/// Why a handshake failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HandshakeError {
    /// The permessage-deflate negotiation failed.
    #[error("extension negotiation failed: {0}")]
    Extension(String),
}
