//! Negotiation of permessage-deflate parameters (RFC 7692 §7).
//!
//! The client sends one offer built from its [`DeflateConfig`] (no fallback offer:
//! what the config asks for is a requirement, see [`DeflateParams::offer`]); the
//! server picks the first acceptable offer and answers with the parameters it
//! resolved; the client checks that answer against its offer.

use crate::deflate::element::{Element, NAME, Side};
use crate::deflate::header::parse_list;
use crate::handshake::HandshakeError;

/// The LZ77 window when nothing smaller was negotiated (RFC 7692 §7.1.2).
const MAX_WINDOW_BITS: u8 = 15;
/// The smallest window RFC 7692 §7.1.2 allows.
const MIN_WINDOW_BITS: u8 = 8;

/// What we offer (client) or accept (server).
///
/// Defaults: no context-takeover restrictions, 32 KiB windows both ways (`None`
/// = 15 bits), zlib level 6, threshold 0 (every message is compressed). Window
/// bits are 8..=15: the setters clamp into that range, [`DeflateConfig::validate`]
/// reports out-of-range values written to the fields directly, and negotiation
/// and the codec clamp them, so a bad value never panics.
///
/// Memory (zlib-rs, measured): a compressor holds about 370 KiB with a 15-bit
/// window and 245 KiB with 9 bits (its hash table does not shrink); a
/// decompressor about 46 KiB whatever the window. With context takeover that
/// state lives as long as the connection once a message went through it, so
/// 10,000 connections that each sent and received one compressed message hold
/// about 4 GiB; without context takeover the codec frees it after each message.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DeflateConfig {
    /// Client: ask the server to reset its compressor after every message.
    /// Server: always reset ours, even if the client did not ask (RFC 7692 §7.1.1.1).
    /// Default `false`.
    pub server_no_context_takeover: bool,
    /// Client: promise to reset our compressor after every message (RFC 7692 §7.1.1.2).
    /// Server: demand it of the client. Default `false`.
    pub client_no_context_takeover: bool,
    /// Largest LZ77 window (log2) the server may compress with. Client: asked of the
    /// server, which must agree or decline. Server: our own limit. Default `None` (15).
    pub server_max_window_bits: Option<u8>,
    /// Largest LZ77 window (log2) the client may compress with. Client: a promise.
    /// Server: asked of clients that say they support the parameter; ignored for
    /// those that don't (they then use up to 15). Default `None` (15).
    pub client_max_window_bits: Option<u8>,
    /// zlib compression level 0..=9 (clamped). Default 6.
    pub level: u32,
    /// Messages shorter than this many bytes go uncompressed. Default 0 (all
    /// compressed); tiny messages gain nothing, so a driver may raise it.
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

impl DeflateConfig {
    /// Sets [`DeflateConfig::server_no_context_takeover`].
    pub fn server_no_context_takeover(mut self, on: bool) -> Self {
        self.server_no_context_takeover = on;
        self
    }

    /// Sets [`DeflateConfig::client_no_context_takeover`].
    pub fn client_no_context_takeover(mut self, on: bool) -> Self {
        self.client_no_context_takeover = on;
        self
    }

    /// Sets [`DeflateConfig::server_max_window_bits`], clamped into 8..=15.
    pub fn server_max_window_bits(mut self, bits: Option<u8>) -> Self {
        self.server_max_window_bits = bits.map(clamp_bits);
        self
    }

    /// Sets [`DeflateConfig::client_max_window_bits`], clamped into 8..=15.
    pub fn client_max_window_bits(mut self, bits: Option<u8>) -> Self {
        self.client_max_window_bits = bits.map(clamp_bits);
        self
    }

    /// Sets [`DeflateConfig::level`], clamped to at most 9.
    pub fn level(mut self, level: u32) -> Self {
        self.level = level.min(9);
        self
    }

    /// Sets [`DeflateConfig::threshold`].
    pub fn threshold(mut self, bytes: usize) -> Self {
        self.threshold = bytes;
        self
    }

    /// Reports values outside the documented ranges (window bits 8..=15, level 0..=9).
    pub fn validate(&self) -> Result<(), HandshakeError> {
        for (name, bits) in [
            ("server_max_window_bits", self.server_max_window_bits),
            ("client_max_window_bits", self.client_max_window_bits),
        ] {
            if let Some(bits) = bits.filter(|b| !(MIN_WINDOW_BITS..=MAX_WINDOW_BITS).contains(b)) {
                return Err(HandshakeError::Extension(format!(
                    "{name} {bits} outside 8..=15"
                )));
            }
        }
        if self.level > 9 {
            return Err(HandshakeError::Extension(format!(
                "compression level {} outside 0..=9",
                self.level
            )));
        }
        Ok(())
    }

    /// The server window limit as negotiation uses it: clamped, 15 when unset.
    fn server_bits(&self) -> u8 {
        self.server_max_window_bits
            .map_or(MAX_WINDOW_BITS, clamp_bits)
    }

    /// The client window limit as negotiation uses it: clamped, 15 when unset.
    fn client_bits(&self) -> u8 {
        self.client_max_window_bits
            .map_or(MAX_WINDOW_BITS, clamp_bits)
    }
}

fn clamp_bits(bits: u8) -> u8 {
    bits.clamp(MIN_WINDOW_BITS, MAX_WINDOW_BITS)
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

impl Default for DeflateParams {
    /// A plain `permessage-deflate` with no parameters: context takeover and
    /// 15-bit windows both ways.
    fn default() -> Self {
        DeflateParams {
            server_no_context_takeover: false,
            client_no_context_takeover: false,
            server_max_window_bits: MAX_WINDOW_BITS,
            client_max_window_bits: MAX_WINDOW_BITS,
        }
    }
}

impl DeflateParams {
    /// Server side: picks the first acceptable offer among the request's
    /// `Sec-WebSocket-Extensions` header values; `None` declines compression.
    ///
    /// Offers with unknown or repeated parameters or invalid values are skipped
    /// (RFC 7692 §7). Our config adds its own demands on top of the client's:
    /// no-context-takeover is the OR of both, the server window the smaller of the
    /// two limits, and the client window is limited only if the client offered
    /// `client_max_window_bits` (RFC 7692 §7.1.2.2: otherwise the response MUST NOT
    /// carry it).
    ///
    /// ```
    /// use duplex_ws_proto::deflate::{DeflateConfig, DeflateParams};
    ///
    /// let config = DeflateConfig::default().client_max_window_bits(Some(10));
    /// let params = DeflateParams::negotiate(
    ///     ["permessage-deflate; client_max_window_bits, permessage-deflate"],
    ///     &config,
    /// )
    /// .expect("accepted");
    /// assert_eq!(params.response_header(), "permessage-deflate; client_max_window_bits=10");
    /// ```
    pub fn negotiate<'a>(
        offers: impl IntoIterator<Item = &'a str>,
        config: &DeflateConfig,
    ) -> Option<DeflateParams> {
        Self::negotiate_response(offers, config).map(|(params, _)| params)
    }

    /// Server side: like [`negotiate`](Self::negotiate), with the response value
    /// for the offer that was accepted.
    ///
    /// RFC 7692 §7.1.2.1: when the offer carried `server_max_window_bits`, the
    /// response MUST carry it too, even at 15 (where [`response_header`] alone
    /// would leave it implied); strict clients such as Python's `websockets` fail
    /// the connection otherwise.
    ///
    /// [`response_header`]: Self::response_header
    pub fn negotiate_response<'a>(
        offers: impl IntoIterator<Item = &'a str>,
        config: &DeflateConfig,
    ) -> Option<(DeflateParams, String)> {
        let offer = offers
            .into_iter()
            .flat_map(parse_list)
            .filter_map(Result::ok)
            .filter(|extension| extension.name.eq_ignore_ascii_case(NAME))
            .find_map(|extension| Element::parse(&extension, Side::Offer).ok())?;
        let params = DeflateParams::resolve_offer(&offer, config);
        let state_server_bits = offer.server_max_window_bits.is_some();
        Some((params, params.header(state_server_bits)))
    }

    fn resolve_offer(offer: &Element, config: &DeflateConfig) -> DeflateParams {
        let client_max_window_bits = match offer.client_max_window_bits {
            // RFC 7692 §7.1.2.2: a value in the offer is the most the client will use;
            // we may answer with that value or a smaller one.
            Some(offered) => offered.unwrap_or(MAX_WINDOW_BITS).min(config.client_bits()),
            None => MAX_WINDOW_BITS,
        };
        DeflateParams {
            server_no_context_takeover: offer.server_no_context_takeover
                || config.server_no_context_takeover,
            client_no_context_takeover: offer.client_no_context_takeover
                || config.client_no_context_takeover,
            // RFC 7692 §7.1.2.1: accepted "with the same or smaller value as the offer".
            server_max_window_bits: offer
                .server_max_window_bits
                .unwrap_or(MAX_WINDOW_BITS)
                .min(config.server_bits()),
            client_max_window_bits,
        }
    }

    /// Server side: the `Sec-WebSocket-Extensions` response value for these parameters.
    ///
    /// Only what differs from the defaults is said: a window of 15 bits is implied by
    /// the parameter's absence (RFC 7692 §7.1.2). A client limit below 15 arises only
    /// from an offer that carried `client_max_window_bits`, so it is always allowed.
    pub fn response_header(&self) -> String {
        self.header(false)
    }

    fn header(&self, state_server_bits: bool) -> String {
        let mut header = String::from(NAME);
        if self.server_no_context_takeover {
            header.push_str("; server_no_context_takeover");
        }
        if self.client_no_context_takeover {
            header.push_str("; client_no_context_takeover");
        }
        if state_server_bits || self.server_max_window_bits < MAX_WINDOW_BITS {
            header.push_str(&format!(
                "; server_max_window_bits={}",
                self.server_max_window_bits
            ));
        }
        if self.client_max_window_bits < MAX_WINDOW_BITS {
            header.push_str(&format!(
                "; client_max_window_bits={}",
                self.client_max_window_bits
            ));
        }
        header
    }

    /// Client side: the `Sec-WebSocket-Extensions` offer for a configuration.
    ///
    /// One offer, always with `client_max_window_bits` (so a server may shrink our
    /// window and save its own memory), plus whatever the config asks of the server.
    /// There is deliberately no fallback offer without those demands: a client that
    /// sets `server_no_context_takeover` or `server_max_window_bits` does so to bound
    /// its own memory, and a server that cannot honour them should decline, leaving
    /// the connection uncompressed, rather than silently ignore them.
    pub fn offer(config: &DeflateConfig) -> String {
        let mut offer = String::from(NAME);
        if config.server_no_context_takeover {
            offer.push_str("; server_no_context_takeover");
        }
        if config.client_no_context_takeover {
            offer.push_str("; client_no_context_takeover");
        }
        if config.server_bits() < MAX_WINDOW_BITS {
            offer.push_str(&format!(
                "; server_max_window_bits={}",
                config.server_bits()
            ));
        }
        offer.push_str("; client_max_window_bits");
        if config.client_bits() < MAX_WINDOW_BITS {
            offer.push_str(&format!("={}", config.client_bits()));
        }
        offer
    }

    /// Client side: checks the server's response value against what we offered
    /// ([`DeflateParams::offer`] of the same config) and resolves the parameters.
    pub fn accept_response(
        response: &str,
        config: &DeflateConfig,
    ) -> Result<DeflateParams, HandshakeError> {
        let fail = |msg: String| HandshakeError::Extension(msg);
        let mut elements = parse_list(response).into_iter();
        let extension = match (elements.next(), elements.next()) {
            (Some(Ok(extension)), None) => extension,
            (None, _) => return Err(fail("empty extension response".into())),
            (Some(Err(malformed)), _) => return Err(fail(malformed.0.into())),
            // RFC 6455 §9.1: the server may only answer with extensions we offered, and
            // we offered exactly one.
            (Some(Ok(_)), Some(_)) => {
                return Err(fail("more than one extension in response".into()));
            }
        };
        if !extension.name.eq_ignore_ascii_case(NAME) {
            return Err(fail(format!("unrequested extension {}", extension.name)));
        }
        let response = Element::parse(&extension, Side::Response).map_err(fail)?;

        // RFC 7692 §7.1.1.1: the server accepts our request by including the parameter.
        if config.server_no_context_takeover && !response.server_no_context_takeover {
            return Err(fail("server ignored server_no_context_takeover".into()));
        }
        let asked_server_bits = config.server_bits();
        let server_max_window_bits = match response.server_max_window_bits {
            // RFC 7692 §7.1.2.1: "the same or smaller value as the offer".
            Some(bits) if bits > asked_server_bits => {
                return Err(fail(format!(
                    "server_max_window_bits={bits} exceeds the {asked_server_bits} we offered"
                )));
            }
            Some(bits) => bits,
            None if asked_server_bits < MAX_WINDOW_BITS => {
                return Err(fail("server ignored server_max_window_bits".into()));
            }
            None => MAX_WINDOW_BITS,
        };
        let promised_client_bits = config.client_bits();
        let client_max_window_bits = match response.client_max_window_bits.flatten() {
            // RFC 7692 §7.1.2.2: "a value equal to or smaller than the received value".
            Some(bits) if bits > promised_client_bits => {
                return Err(fail(format!(
                    "client_max_window_bits={bits} exceeds the {promised_client_bits} we offered"
                )));
            }
            Some(bits) => bits,
            None => promised_client_bits,
        };
        Ok(DeflateParams {
            server_no_context_takeover: response.server_no_context_takeover,
            client_no_context_takeover: response.client_no_context_takeover
                || config.client_no_context_takeover,
            server_max_window_bits,
            client_max_window_bits,
        })
    }
}

#[cfg(test)]
#[path = "params_tests.rs"]
mod tests;
