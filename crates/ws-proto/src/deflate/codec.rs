//! The per-message compressor and decompressor.
//!
//! Both zlib states are created on first use, so a connection that never sent
//! (or received) a compressed message holds none. When a direction has no
//! context takeover its state is dropped after each message instead of being
//! reset, so an idle connection then holds no zlib memory at all (about 370 KiB
//! saved for a 15-bit compressor, 46 KiB for a decompressor). The price,
//! measured by `benches/deflate.rs` (group `state`, 16-byte message, on a busy
//! 2-core machine): a fresh compressor took 24–59 µs against 11 µs for a reset
//! one (zlib-rs zero-fills its buffers; a reset still clears the hash table), a
//! fresh decompressor 1.4–6.6 µs against 0.3–0.6 µs. Peers that negotiate no
//! context takeover usually do it to save memory, so memory wins here.

use bytes::BytesMut;
use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress, Status};

use crate::deflate::params::{DeflateConfig, DeflateParams};
use crate::error::Error;
use crate::role::Role;

/// RFC 7692 §7.2.1: the sync-flush marker the sender strips and the receiver appends.
const TAIL: [u8; 4] = [0x00, 0x00, 0xff, 0xff];

/// zlib refuses raw deflate with an 8-bit window, so both directions use 9 bits
/// at least. Compressing: zlib never emits a distance beyond the window minus
/// its 262-byte lookahead, 250 bytes for 9 bits, which an 8-bit peer window
/// covers (the test `nine_bit_compressor_fits_an_eight_bit_window` checks it
/// with an independent decoder that measures distances).
/// Inflating with a larger window than the peer's is always safe.
const MIN_ZLIB_WINDOW_BITS: u8 = 9;

/// Output grown per deflate call; bounds the zero-filled slack beyond the result.
const COMPRESS_CHUNK_MAX: usize = 64 << 10;
/// Output grown per inflate call: the bound on what one call may allocate
/// beyond the message limit, whatever the input declares.
const INFLATE_CHUNK: usize = 32 << 10;

/// Compresses outgoing and inflates incoming messages of one connection.
#[derive(Debug)]
pub struct DeflateCodec {
    level: Compression,
    threshold: usize,
    deflate_bits: u8,
    deflate_no_context_takeover: bool,
    inflate_bits: u8,
    inflate_no_context_takeover: bool,
    compressor: Option<Compress>,
    decompressor: Option<Decompress>,
    /// The peer ended the current message's deflate stream with a BFINAL block
    /// (RFC 7692 §7.2.3.4); the rest of the message is padding to ignore.
    inflate_finished: bool,
    /// Whether the current incoming message had any payload byte so far.
    inflate_started: bool,
}

impl DeflateCodec {
    /// A codec for our `role` under the negotiated `params`: we compress with our
    /// role's window and context rule, and inflate with the peer's.
    pub fn new(params: DeflateParams, role: Role, config: &DeflateConfig) -> Self {
        let server = (
            params.server_max_window_bits,
            params.server_no_context_takeover,
        );
        let client = (
            params.client_max_window_bits,
            params.client_no_context_takeover,
        );
        let (ours, peers) = match role {
            Role::Server => (server, client),
            Role::Client => (client, server),
        };
        DeflateCodec {
            level: Compression::new(config.level.min(9)),
            threshold: config.threshold,
            deflate_bits: zlib_bits(ours.0),
            deflate_no_context_takeover: ours.1,
            inflate_bits: zlib_bits(peers.0),
            inflate_no_context_takeover: peers.1,
            compressor: None,
            decompressor: None,
            inflate_finished: false,
            inflate_started: false,
        }
    }

    /// Whether a message of `len` bytes should be compressed (the threshold).
    pub fn should_compress(&self, len: usize) -> bool {
        len >= self.threshold
    }

    /// Compresses one whole message into `out` (appended), without the trailing
    /// `00 00 ff ff` (RFC 7692 §7.2.1).
    pub fn compress(&mut self, payload: &[u8], out: &mut BytesMut) -> Result<(), Error> {
        if payload.is_empty() {
            // RFC 7692 §7.2.3.6: an empty stored block, 0x00 once the tail is
            // stripped. zlib would emit nothing for a second flush with no input,
            // and the stream is at a byte boundary after every message.
            out.extend_from_slice(&[0x00]);
            return Ok(());
        }
        let (level, bits) = (self.level, self.deflate_bits);
        let compressor = self
            .compressor
            .get_or_insert_with(|| Compress::new_with_window_bits(level, false, bits));
        let start = out.len();
        let mut consumed = 0;
        loop {
            let filled = out.len();
            let chunk = (payload.len() - consumed + 64).min(COMPRESS_CHUNK_MAX);
            out.resize(filled + chunk, 0);
            let (in_before, out_before) = (compressor.total_in(), compressor.total_out());
            let result = compressor.compress(
                &payload[consumed..],
                &mut out[filled..],
                FlushCompress::Sync,
            );
            let written = (compressor.total_out() - out_before) as usize;
            let read = (compressor.total_in() - in_before) as usize;
            consumed += read;
            out.truncate(filled + written);
            result.map_err(|e| Error::Compression(e.to_string()))?;
            if read == 0 && written == 0 && consumed < payload.len() {
                return Err(Error::Compression("deflate made no progress".into()));
            }
            // zlib: a flush is complete once a call returns with output space left.
            if consumed == payload.len() && written < chunk {
                break;
            }
        }
        // RFC 7692 §7.2.1: remove the 4 octets 0x00 0x00 0xff 0xff at the tail end.
        if !out[start..].ends_with(&TAIL) {
            return Err(Error::Compression(
                "sync flush did not end the output".into(),
            ));
        }
        out.truncate(out.len() - TAIL.len());
        // RFC 7692 §7.1.1: without context takeover each message starts from an
        // empty window.
        if self.deflate_no_context_takeover {
            self.compressor = None;
        }
        Ok(())
    }

    /// Inflates one frame's payload of a compressed message into `out` (appended);
    /// on the last frame (`fin`) also the `00 00 ff ff` tail. Fails with
    /// [`Error::MessageTooLarge`] as soon as `out` would exceed `max_len`.
    ///
    /// Output grows in bounded steps, so a small input that inflates hugely costs
    /// at most `max_len` plus one step before it is refused. Corrupt input fails
    /// with [`Error::InvalidCompressedData`]; the codec must not be used again
    /// after an error (the connection is failed).
    pub fn decompress(
        &mut self,
        input: &[u8],
        fin: bool,
        out: &mut BytesMut,
        max_len: usize,
    ) -> Result<(), Error> {
        if !self.inflate_finished && !input.is_empty() {
            self.inflate_started = true;
            self.inflate(input, out, max_len)?;
        }
        if fin {
            // RFC 7692 §7.2.2: append 0x00 0x00 0xff 0xff to the tail end of the
            // payload; but an empty payload is an empty message (RFC 7692 §7.2.3.6),
            // not a stream made of the tail alone (which is not valid deflate).
            if self.inflate_started && !self.inflate_finished {
                self.inflate(&TAIL, out, max_len)?;
            }
            // A finished stream cannot take more input, and without context
            // takeover the next message must not see this one's window.
            if self.inflate_finished || self.inflate_no_context_takeover {
                self.decompressor = None;
            }
            self.inflate_finished = false;
            self.inflate_started = false;
        }
        Ok(())
    }

    fn inflate(&mut self, input: &[u8], out: &mut BytesMut, max_len: usize) -> Result<(), Error> {
        let bits = self.inflate_bits;
        let decompressor = self
            .decompressor
            .get_or_insert_with(|| Decompress::new_with_window_bits(false, bits));
        let mut consumed = 0;
        // Start near the likely output size so small messages zero-fill little,
        // then double up to the step bound while the output keeps filling it.
        let mut step = input.len().saturating_mul(4).clamp(256, INFLATE_CHUNK);
        loop {
            let filled = out.len();
            // One byte past the limit tells "exactly at the limit" from "over it".
            let room = max_len.saturating_sub(filled).saturating_add(1);
            let chunk = room.min(step);
            step = (step * 2).min(INFLATE_CHUNK);
            out.resize(filled + chunk, 0);
            let (in_before, out_before) = (decompressor.total_in(), decompressor.total_out());
            let result = decompressor.decompress(
                &input[consumed..],
                &mut out[filled..],
                FlushDecompress::None,
            );
            let written = (decompressor.total_out() - out_before) as usize;
            let read = (decompressor.total_in() - in_before) as usize;
            consumed += read;
            out.truncate(filled + written);
            let status = result.map_err(|e| Error::InvalidCompressedData(e.to_string()))?;
            if out.len() > max_len {
                return Err(Error::MessageTooLarge { max: max_len });
            }
            match status {
                Status::StreamEnd => {
                    self.inflate_finished = true;
                    return Ok(());
                }
                // With output space left over, inflate has used all the input it can.
                Status::Ok | Status::BufError if written < chunk => {
                    if consumed < input.len() {
                        return Err(Error::InvalidCompressedData(
                            "inflate stopped before the end of its input".into(),
                        ));
                    }
                    return Ok(());
                }
                Status::Ok | Status::BufError => {}
            }
        }
    }
}

fn zlib_bits(negotiated: u8) -> u8 {
    negotiated.clamp(MIN_ZLIB_WINDOW_BITS, 15)
}

#[cfg(test)]
#[path = "codec_tests.rs"]
mod tests;
