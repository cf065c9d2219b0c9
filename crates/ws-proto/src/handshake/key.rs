//! The `Sec-WebSocket-Key` nonce and its `Sec-WebSocket-Accept` answer (RFC 6455 §4.1, §4.2.2).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use sha1::{Digest, Sha1};

/// The GUID every server appends to the client's key before hashing (RFC 6455 §1.3).
const ACCEPT_GUID: &[u8] = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// Computes the `Sec-WebSocket-Accept` value for a `Sec-WebSocket-Key`: the base64
/// of the SHA-1 of the key (as sent, without surrounding whitespace) followed by the
/// RFC 6455 GUID.
///
/// ```
/// use duplex_ws_proto::handshake::accept_key;
///
/// // The example of RFC 6455 §1.3.
/// assert_eq!(accept_key(b"dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
/// ```
pub fn accept_key(key: &[u8]) -> String {
    let mut sha1 = Sha1::new();
    sha1.update(key);
    sha1.update(ACCEPT_GUID);
    STANDARD.encode(sha1.finalize())
}

/// A fresh `Sec-WebSocket-Key`: 16 random bytes, base64-encoded.
// RFC 6455 §4.1: the nonce MUST be selected randomly for each connection.
pub fn generate_key() -> String {
    STANDARD.encode(rand::random::<[u8; 16]>())
}

/// Whether a `Sec-WebSocket-Key` value is the base64 of exactly 16 bytes.
// RFC 6455 §4.2.1: the key, "when decoded, is 16 bytes in length".
pub(crate) fn is_valid_key(key: &[u8]) -> bool {
    // 16 bytes encode to 24 characters with padding; checking first bounds the decode.
    key.len() == 24 && STANDARD.decode(key).is_ok_and(|raw| raw.len() == 16)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_6455_example() {
        assert_eq!(
            accept_key(b"dGhlIHNhbXBsZSBub25jZQ=="),
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        );
    }

    #[test]
    fn generated_keys_are_valid_and_fresh() {
        let a = generate_key();
        let b = generate_key();
        assert!(is_valid_key(a.as_bytes()));
        assert!(is_valid_key(b.as_bytes()));
        assert_ne!(a, b);
    }

    #[test]
    fn key_validation() {
        let cases: &[(&[u8], bool)] = &[
            (b"dGhlIHNhbXBsZSBub25jZQ==", true),
            // 15 bytes once decoded.
            (b"dGhlIHNhbXBsZSBub25jZQ=", false),
            (b"dGhlIHNhbXBsZSBub25j", false),
            // 17 bytes.
            (b"dGhlIHNhbXBsZSBub25jZSE=", false),
            (b"not base64 at all!!!!!!!", false),
            (b"dGhlIHNhbXBsZSBub25jZQ", false),
            (b"", false),
            // Non-zero trailing bits are not canonical base64.
            (b"dGhlIHNhbXBsZSBub25jZR==", false),
        ];
        for (key, ok) in cases {
            assert_eq!(is_valid_key(key), *ok, "{}", String::from_utf8_lossy(key));
        }
    }
}
