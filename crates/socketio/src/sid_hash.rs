//! Hashing of session ids for the maps a broadcast walks (a namespace's sockets, room
//! members): ids are 120 random bits, so a multiply-rotate fold of their bytes spreads them
//! as well as SipHash would, at a fraction of the cost. Clients cannot choose ids (the
//! server draws them), so a keyed hash buys no protection here.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

use duplex_engineio::Sid;

/// The folding hasher (only ever fed [`Sid`]s, i.e. short byte strings).
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct SidHasher(u64);

/// An odd constant with bits spread across the word (from the golden ratio).
const SPREAD: u64 = 0x9e37_79b9_7f4a_7c15;

impl Hasher for SidHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.0 = (self.0.rotate_left(23) ^ u64::from_le_bytes(word)).wrapping_mul(SPREAD);
        }
    }

    fn write_usize(&mut self, n: usize) {
        self.write(&n.to_le_bytes());
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// A map keyed by session id.
pub(crate) type SidMap<V> = HashMap<Sid, V, BuildHasherDefault<SidHasher>>;
/// A set of session ids.
pub(crate) type SidSet = HashSet<Sid, BuildHasherDefault<SidHasher>>;

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::BuildHasher;

    #[test]
    fn ids_differing_in_any_byte_hash_apart() {
        let build = BuildHasherDefault::<SidHasher>::default();
        let a = Sid::parse("aaaaaaaaaaaaaaaaaaaa").unwrap();
        for position in 0..20 {
            let mut text = *b"aaaaaaaaaaaaaaaaaaaa";
            text[position] = b'b';
            let b = Sid::parse(std::str::from_utf8(&text).unwrap()).unwrap();
            assert_ne!(build.hash_one(a), build.hash_one(b), "byte {position}");
        }
    }

    #[test]
    fn random_ids_fill_buckets_evenly() {
        let build = BuildHasherDefault::<SidHasher>::default();
        let mut buckets = [0u32; 64];
        for _ in 0..64_000 {
            // hashbrown picks buckets by the low bits and control bytes by the top 7.
            let hash = build.hash_one(Sid::generate());
            buckets[(hash & 63) as usize] += 1;
        }
        assert!(
            buckets.iter().all(|&n| (800..1200).contains(&n)),
            "{buckets:?}"
        );
    }
}
