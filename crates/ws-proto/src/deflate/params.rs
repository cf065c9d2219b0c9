//! Negotiation of permessage-deflate parameters (RFC 7692 §7).

use crate::handshake::HandshakeError;

/// What we offer (client) or accept (server). Window bits are 8..=15.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DeflateConfig {
    /// Server: always ask the client to reset... (see RFC 7692 §7.1.1). Client: request it.
    pub server_no_context_takeover: bool,
    /// Client: promise it; server: demand it.
    pub client_no_context_takeover: bool,
    /// Largest LZ77 window the server may use.
    pub server_max_window_bits: Option<u8>,
    /// Largest LZ77 window the client may use.
    pub client_max_window_bits: Option<u8>,
    /// zlib level 0..=9.
    pub level: u32,
    /// Messages shorter than this go uncompressed.
    pub threshold: usize,
}

impl Default for DeflateConfig {
    fn default() -> Self {
        DeflateConfig {
            server_no_context_takeover: false,
            client_no_context_takeover: false,
            server_max_window_bits: None,
            client_max_window_bits: None,
            level: 6,
            threshold: 0,
        }
    }
}

/// The parameters both ends agreed on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeflateParams {
    /// The server resets its compressor after every message.
    pub server_no_context_takeover: bool,
    /// The client resets its compressor after every message.
    pub client_no_context_takeover: bool,
    /// Window the server compresses with (8..=15).
    pub server_max_window_bits: u8,
    /// Window the client compresses with (8..=15).
    pub client_max_window_bits: u8,
}

impl DeflateParams {
    /// Server side: picks the first acceptable offer among the request's
    /// `Sec-WebSocket-Extensions` header values; `None` declines compression.
    pub fn negotiate<'a>(
        _offers: impl IntoIterator<Item = &'a str>,
        _config: &DeflateConfig,
    ) -> Option<DeflateParams> {
        None
    }

    /// Server side: the `Sec-WebSocket-Extensions` response value for these parameters.
    pub fn response_header(&self) -> String {
        String::from("permessage-deflate")
    }

    /// Client side: the `Sec-WebSocket-Extensions` offer for a configuration.
    pub fn offer(_config: &DeflateConfig) -> String {
        String::from("permessage-deflate")
    }

    /// Client side: checks the server's response value against what we offered.
    pub fn accept_response(
        _response: &str,
        _config: &DeflateConfig,
    ) -> Result<DeflateParams, HandshakeError> {
        Err(HandshakeError::Extension("not implemented yet".into()))
    }
}
