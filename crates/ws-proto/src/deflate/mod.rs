//! permessage-deflate (RFC 7692): negotiation of its parameters and the per-message codec.
//!
//! The handshake uses [`DeflateParams`]: a server calls [`DeflateParams::negotiate`]
//! on the request's `Sec-WebSocket-Extensions` values and answers with
//! [`DeflateParams::response_header`]; a client sends [`DeflateParams::offer`] and
//! checks the answer with [`DeflateParams::accept_response`]. Both then build a
//! [`DeflateCodec`] for their role, which compresses whole messages and inflates
//! frame by frame under a size limit.
//!
//! ```
//! use bytes::BytesMut;
//! use duplex_ws_proto::Role;
//! use duplex_ws_proto::deflate::{DeflateCodec, DeflateConfig, DeflateParams};
//!
//! let config = DeflateConfig::default();
//! let offer = DeflateParams::offer(&config);
//! let server_params = DeflateParams::negotiate([offer.as_str()], &config).expect("accepted");
//! let client_params =
//!     DeflateParams::accept_response(&server_params.response_header(), &config).unwrap();
//!
//! let mut server = DeflateCodec::new(server_params, Role::Server, &config);
//! let mut client = DeflateCodec::new(client_params, Role::Client, &config);
//! let mut wire = BytesMut::new();
//! server.compress(b"Hello", &mut wire).unwrap();
//! assert_eq!(&wire[..], [0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00]);
//! let mut message = BytesMut::new();
//! client.decompress(&wire, true, &mut message, 1 << 20).unwrap();
//! assert_eq!(&message[..], b"Hello");
//! ```

mod codec;
#[cfg(test)]
mod distance_oracle;
mod element;
mod header;
mod params;

pub use codec::DeflateCodec;
pub use params::{DeflateConfig, DeflateParams};
