//! The per-message compressor and decompressor.

use bytes::BytesMut;

use crate::deflate::params::{DeflateConfig, DeflateParams};
use crate::error::Error;
use crate::role::Role;

/// Compresses outgoing and inflates incoming messages of one connection.
#[derive(Debug)]
pub struct DeflateCodec {
    _params: DeflateParams,
}

impl DeflateCodec {
    /// A codec for our `role` under the negotiated `params`.
    pub fn new(params: DeflateParams, _role: Role, _config: &DeflateConfig) -> Self {
        DeflateCodec { _params: params }
    }

    /// Whether a message of `len` bytes should be compressed (the threshold).
    pub fn should_compress(&self, _len: usize) -> bool {
        false
    }

    /// Compresses one whole message into `out` (appended), without the trailing
    /// `00 00 ff ff` (RFC 7692 §7.2.1).
    pub fn compress(&mut self, _payload: &[u8], _out: &mut BytesMut) -> Result<(), Error> {
        Err(Error::Compression("not implemented yet".into()))
    }

    /// Inflates one frame's payload of a compressed message into `out` (appended);
    /// on the last frame (`fin`) also the `00 00 ff ff` tail. Fails with
    /// [`Error::MessageTooLarge`] as soon as `out` would exceed `max_len`.
    pub fn decompress(
        &mut self,
        _input: &[u8],
        _fin: bool,
        _out: &mut BytesMut,
        _max_len: usize,
    ) -> Result<(), Error> {
        Err(Error::InvalidCompressedData("not implemented yet".into()))
    }
}
