//! permessage-deflate (RFC 7692): negotiation of its parameters and the per-message codec.
//!
//! CONTRACT (filled in by the deflate work; signatures are fixed, bodies are placeholders).

mod codec;
mod params;

pub use codec::DeflateCodec;
pub use params::{DeflateConfig, DeflateParams};
