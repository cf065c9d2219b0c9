//! The permessage-deflate parameter table every peer is run through, and how
//! each case is spelled for our config and for each peer's options.

use std::collections::BTreeSet;

use duplex_ws::DeflateConfig;

/// Window sizes (log2) tested for both directions: the RFC 7692 minimum, the
/// smallest zlib accepts for raw deflate, a middle value, and the default.
pub const WINDOW_BITS: [u8; 4] = [8, 9, 12, 15];

/// One row of the table: what the server side is configured to demand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeflateCase {
    /// The server resets its compressor after each message.
    pub server_no_context_takeover: bool,
    /// The client must reset its compressor after each message.
    pub client_no_context_takeover: bool,
    /// Largest window the server compresses with.
    pub server_max_window_bits: u8,
    /// Largest window the client may compress with.
    pub client_max_window_bits: u8,
}

/// 16 cases: every combination of the two no-context-takeover flags with every
/// server window and every client window, and every (server, client) window pair
/// once. A Latin square instead of the full 2 × 2 × 4 × 4 product: each case
/// spawns a peer process, and 64 of them would not fit the time budget.
pub fn deflate_cases() -> Vec<DeflateCase> {
    let flags = [(false, false), (false, true), (true, false), (true, true)];
    let mut cases = Vec::new();
    for (shift, (server_no_context_takeover, client_no_context_takeover)) in
        flags.into_iter().enumerate()
    {
        for (i, server_max_window_bits) in WINDOW_BITS.into_iter().enumerate() {
            cases.push(DeflateCase {
                server_no_context_takeover,
                client_no_context_takeover,
                server_max_window_bits,
                client_max_window_bits: WINDOW_BITS[(i + shift) % WINDOW_BITS.len()],
            });
        }
    }
    cases
}

impl DeflateCase {
    /// Our server's configuration for this case.
    pub fn our_server_config(&self) -> DeflateConfig {
        DeflateConfig::default()
            .server_no_context_takeover(self.server_no_context_takeover)
            .client_no_context_takeover(self.client_no_context_takeover)
            .server_max_window_bits(Some(self.server_max_window_bits))
            .client_max_window_bits(Some(self.client_max_window_bits))
    }

    /// The parameters the server's response must carry when the client offered
    /// `client_max_window_bits` (both peers' clients and ours do), as
    /// [`normalize_extensions`] spells them.
    pub fn expected_params(&self) -> BTreeSet<String> {
        let mut params = BTreeSet::from(["permessage-deflate".to_owned()]);
        if self.server_no_context_takeover {
            params.insert("server_no_context_takeover".into());
        }
        if self.client_no_context_takeover {
            params.insert("client_no_context_takeover".into());
        }
        if self.server_max_window_bits < 15 {
            params.insert(format!(
                "server_max_window_bits={}",
                self.server_max_window_bits
            ));
        }
        if self.client_max_window_bits < 15 {
            params.insert(format!(
                "client_max_window_bits={}",
                self.client_max_window_bits
            ));
        }
        params
    }

    /// Node `ws` `perMessageDeflate` options for this case (the same keys
    /// configure its server's demands and its client's offer).
    pub fn node_options(&self) -> String {
        serde_json::json!({
            "serverNoContextTakeover": self.server_no_context_takeover,
            "clientNoContextTakeover": self.client_no_context_takeover,
            "serverMaxWindowBits": self.server_max_window_bits,
            "clientMaxWindowBits": self.client_max_window_bits,
            "threshold": 0,
        })
        .to_string()
    }

    /// Python `websockets` `ServerPerMessageDeflateFactory` /
    /// `ClientPerMessageDeflateFactory` parameters for this case.
    pub fn python_options(&self) -> String {
        serde_json::json!({
            "server_no_context_takeover": self.server_no_context_takeover,
            "client_no_context_takeover": self.client_no_context_takeover,
            "server_max_window_bits": self.server_max_window_bits,
            "client_max_window_bits": self.client_max_window_bits,
        })
        .to_string()
    }
}

/// A `Sec-WebSocket-Extensions` value as a set of lower-case parameters, so
/// answers that differ only in parameter order or spelling compare equal. A window
/// of 15 bits is dropped: RFC 7692 §7.1.2 makes it the same as no parameter.
pub fn normalize_extensions(header: &str) -> BTreeSet<String> {
    header
        .split(';')
        .map(|param| {
            param
                .split_whitespace()
                .collect::<String>()
                .to_ascii_lowercase()
        })
        .map(|param| param.replace('"', ""))
        .filter(|param| !param.is_empty() && !param.ends_with("_max_window_bits=15"))
        .collect()
}
