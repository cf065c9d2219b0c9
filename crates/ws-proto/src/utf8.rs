//! UTF-8 text: a validated `Bytes` newtype and an incremental validator that fails
//! at the first invalid sequence, however the text is split into frames or reads.
//!
//! Validation goes through `simdutf8` (SIMD, picked at run time from the CPU's
//! features): on mixed-width text it is about 10x `std::str::from_utf8`, whose fast
//! path covers ASCII only (`benches/utf8.rs`, figures in `benches/RESULTS.md`). Its
//! `compat` API reports `valid_up_to` and `error_len` exactly as `std` does, which the
//! incremental validator needs to tell a cut code point from an invalid one.

use std::fmt;
use std::ops::Deref;

use bytes::Bytes;

use crate::error::Error;

/// Bytes known to be valid UTF-8: cheap to clone and to slice, like [`Bytes`].
#[derive(Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Utf8Bytes(Bytes);

impl Utf8Bytes {
    /// Wraps a static string without copying.
    pub const fn from_static(s: &'static str) -> Self {
        Utf8Bytes(Bytes::from_static(s.as_bytes()))
    }

    /// The text.
    #[allow(unsafe_code)]
    pub fn as_str(&self) -> &str {
        // Measured reason: checking again on every call costs O(n) per access (about
        // 60 µs for a 1 MiB text at 16 GB/s) for text that was already checked once.
        // SAFETY: every constructor either takes a `str`/`String` or checks the bytes
        // (`TryFrom`, or `from_validated` after the incremental validator accepted the
        // whole message), and the bytes are immutable afterwards.
        unsafe { std::str::from_utf8_unchecked(&self.0) }
    }

    /// The underlying bytes.
    pub fn as_bytes(&self) -> &Bytes {
        &self.0
    }

    /// Gives up the UTF-8 guarantee and returns the bytes.
    pub fn into_bytes(self) -> Bytes {
        self.0
    }

    /// The text in `range` (byte offsets), without copying or checking again; `None` when
    /// the range is out of bounds or cuts a code point.
    pub fn slice(&self, range: std::ops::Range<usize>) -> Option<Utf8Bytes> {
        let text = self.as_str();
        if range.start > range.end
            || range.end > text.len()
            || !text.is_char_boundary(range.start)
            || !text.is_char_boundary(range.end)
        {
            return None;
        }
        Some(Utf8Bytes(self.0.slice(range)))
    }

    /// Wraps bytes that the caller already validated.
    pub(crate) fn from_validated(bytes: Bytes) -> Self {
        debug_assert!(std::str::from_utf8(&bytes).is_ok());
        Utf8Bytes(bytes)
    }
}

impl Deref for Utf8Bytes {
    type Target = str;

    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for Utf8Bytes {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<[u8]> for Utf8Bytes {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for Utf8Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for Utf8Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self.as_str(), f)
    }
}

impl From<String> for Utf8Bytes {
    fn from(s: String) -> Self {
        Utf8Bytes(Bytes::from(s))
    }
}

impl From<&str> for Utf8Bytes {
    fn from(s: &str) -> Self {
        Utf8Bytes(Bytes::copy_from_slice(s.as_bytes()))
    }
}

impl TryFrom<Bytes> for Utf8Bytes {
    type Error = Error;

    fn try_from(bytes: Bytes) -> Result<Self, Error> {
        match simdutf8::basic::from_utf8(&bytes) {
            Ok(_) => Ok(Utf8Bytes(bytes)),
            Err(_) => Err(Error::InvalidUtf8),
        }
    }
}

impl TryFrom<Vec<u8>> for Utf8Bytes {
    type Error = Error;

    fn try_from(bytes: Vec<u8>) -> Result<Self, Error> {
        Utf8Bytes::try_from(Bytes::from(bytes))
    }
}

impl From<Utf8Bytes> for String {
    fn from(text: Utf8Bytes) -> Self {
        text.as_str().to_owned()
    }
}

impl PartialEq<str> for Utf8Bytes {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Utf8Bytes {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

/// Validates UTF-8 fed in pieces, keeping the few bytes of a code point cut by a
/// piece boundary, and reporting an invalid sequence as soon as its first bad byte
/// is seen (a truncated but so-far-valid prefix is not an error until [`finish`]).
///
/// [`finish`]: Utf8Validator::finish
#[derive(Debug, Default, Clone)]
pub struct Utf8Validator {
    partial: [u8; 4],
    partial_len: u8,
}

impl Utf8Validator {
    /// A validator at the start of a text.
    pub fn new() -> Self {
        Self::default()
    }

    /// Validates the next piece of the text.
    pub fn feed(&mut self, mut input: &[u8]) -> Result<(), Error> {
        if self.partial_len > 0 {
            let have = usize::from(self.partial_len);
            let want = sequence_len(self.partial[0]);
            let take = (want - have).min(input.len());
            self.partial[have..have + take].copy_from_slice(&input[..take]);
            let filled = have + take;
            match simdutf8::compat::from_utf8(&self.partial[..filled]) {
                Ok(_) => self.partial_len = 0,
                Err(e) if e.error_len().is_none() => {
                    self.partial_len = filled as u8;
                    return Ok(());
                }
                Err(_) => return Err(Error::InvalidUtf8),
            }
            input = &input[take..];
        }
        match simdutf8::compat::from_utf8(input) {
            Ok(_) => Ok(()),
            Err(e) if e.error_len().is_none() => {
                let tail = &input[e.valid_up_to()..];
                self.partial[..tail.len()].copy_from_slice(tail);
                self.partial_len = tail.len() as u8;
                Ok(())
            }
            Err(_) => Err(Error::InvalidUtf8),
        }
    }

    /// Ends the text: a code point still incomplete is an error.
    pub fn finish(&mut self) -> Result<(), Error> {
        let complete = self.partial_len == 0;
        self.partial_len = 0;
        if complete {
            Ok(())
        } else {
            Err(Error::InvalidUtf8)
        }
    }

    /// Whether the text so far ends in the middle of a code point.
    pub fn is_mid_sequence(&self) -> bool {
        self.partial_len > 0
    }
}

/// Length of the sequence a lead byte starts; only called on lead bytes that
/// `compat::from_utf8` reported as the start of a truncated, valid prefix.
fn sequence_len(lead: u8) -> usize {
    match lead {
        0xC0..=0xDF => 2,
        0xE0..=0xEF => 3,
        _ => 4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn feed_split(bytes: &[u8], cuts: &[usize]) -> Result<(), Error> {
        let mut v = Utf8Validator::new();
        let mut start = 0;
        for &cut in cuts {
            let cut = cut.clamp(start, bytes.len());
            v.feed(&bytes[start..cut])?;
            start = cut;
        }
        v.feed(&bytes[start..])?;
        v.finish()
    }

    #[test]
    fn slice_refuses_cut_code_points_and_bad_ranges() {
        let text = Utf8Bytes::from("a€b");
        assert_eq!(text.slice(1..4).unwrap(), "€");
        assert_eq!(text.slice(0..0).unwrap(), "");
        assert!(text.slice(1..2).is_none());
        assert!(text.slice(2..5).is_none());
        assert!(text.slice(3..9).is_none());
        #[allow(clippy::reversed_empty_ranges)]
        let reversed = text.slice(4..1);
        assert!(reversed.is_none());
    }

    #[test]
    fn fails_at_first_bad_byte_not_at_end() {
        // "κόσμε" then 0xF4 0x90: already invalid (above U+10FFFF) before any more bytes.
        let mut v = Utf8Validator::new();
        v.feed("κόσμε".as_bytes()).unwrap();
        assert_eq!(v.feed(&[0xF4, 0x90]), Err(Error::InvalidUtf8));
    }

    #[test]
    fn truncated_prefix_is_not_an_error_until_finish() {
        let mut v = Utf8Validator::new();
        v.feed(&[0xE2, 0x82]).unwrap();
        assert!(v.is_mid_sequence());
        assert_eq!(v.finish(), Err(Error::InvalidUtf8));
    }

    #[test]
    fn code_point_split_byte_by_byte() {
        let text = "€𝄞a".as_bytes();
        let cuts: Vec<usize> = (0..text.len()).collect();
        assert_eq!(feed_split(text, &cuts), Ok(()));
    }

    proptest! {
        #[test]
        fn agrees_with_std_under_any_split(
            bytes in proptest::collection::vec(any::<u8>(), 0..64),
            cuts in proptest::collection::vec(0usize..64, 0..6),
        ) {
            let mut cuts = cuts;
            cuts.sort_unstable();
            let expected = std::str::from_utf8(&bytes).is_ok();
            prop_assert_eq!(feed_split(&bytes, &cuts).is_ok(), expected);
        }

        // Long enough (hundreds of bytes) for simdutf8's vector path, not only its
        // scalar tail, with one byte possibly corrupted anywhere.
        #[test]
        fn long_text_agrees_with_std_under_any_split(
            text in "\\PC{0,300}",
            corrupt in proptest::option::of((any::<prop::sample::Index>(), any::<u8>())),
            cuts in proptest::collection::vec(0usize..1200, 0..6),
        ) {
            let mut bytes = text.into_bytes();
            if let (Some((at, value)), false) = (corrupt, bytes.is_empty()) {
                let at = at.index(bytes.len());
                bytes[at] = value;
            }
            let mut cuts = cuts;
            cuts.sort_unstable();
            let expected = std::str::from_utf8(&bytes).is_ok();
            prop_assert_eq!(feed_split(&bytes, &cuts).is_ok(), expected);
        }

        #[test]
        fn valid_text_passes_under_any_split(
            text in "\\PC{0,40}",
            cuts in proptest::collection::vec(0usize..200, 0..6),
        ) {
            let mut cuts = cuts;
            cuts.sort_unstable();
            prop_assert_eq!(feed_split(text.as_bytes(), &cuts), Ok(()));
        }
    }
}
