//! Session ids.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// Bytes of randomness in a session id: 120 bits, 20 characters of URL-safe base64 — the
/// length the reference server's ids have, and too many to guess.
const RANDOM_BYTES: usize = 15;
const LEN: usize = 20;

/// A session id: 20 characters of URL-safe base64, cheap to copy and hash.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Sid([u8; LEN]);

impl Sid {
    /// A new random id.
    pub fn generate() -> Sid {
        let random: [u8; RANDOM_BYTES] = rand::random();
        let mut id = [0u8; LEN];
        // 15 bytes always encode to exactly 20 characters.
        let _ = URL_SAFE_NO_PAD.encode_slice(random, &mut id);
        Sid(id)
    }

    /// Parses an id from a query string; `None` if it cannot be one of ours.
    pub fn parse(text: &str) -> Option<Sid> {
        let bytes: [u8; LEN] = text.as_bytes().try_into().ok()?;
        bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || *b == b'-' || *b == b'_')
            .then_some(Sid(bytes))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        // Only ASCII ever gets in (`generate` writes base64, `parse` checks).
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

impl fmt::Display for Sid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Sid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Sid({})", self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_parse_back_and_differ() {
        let a = Sid::generate();
        let b = Sid::generate();
        assert_ne!(a, b);
        assert_eq!(a.as_str().len(), 20);
        assert_eq!(Sid::parse(a.as_str()), Some(a));
        assert_eq!(Sid::parse("short"), None);
        assert_eq!(Sid::parse("P1EMrirc_KY4jvkjAA/A"), None);
        assert_eq!(Sid::parse("P1EMrirc_KY4jvkjAA€"), None);
    }
}
