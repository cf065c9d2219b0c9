//! Incremental UTF-8 validation on 64 KiB of text, fed whole and in 1 KiB pieces
//! (pieces cut code points in two, as frame and read boundaries do), against
//! `std::str::from_utf8` and the `simdutf8` crate.
//!
//! `simdutf8` is a bench-only dependency: these figures decide whether adopting it
//! in `Utf8Validator` pays. `simd_validator` below is the validator's algorithm with
//! `simdutf8::compat` swapped in for `std`, i.e. exactly what the switch would ship.

#![expect(
    missing_docs,
    reason = "criterion_group! generates an undocumented pub fn"
)]

use std::hint::black_box;

use criterion::{
    BenchmarkGroup, Criterion, Throughput, criterion_group, criterion_main, measurement::WallTime,
};
use duplex_ws_proto::Utf8Validator;

const LEN: usize = 64 * 1024;
const PIECE: usize = 1024;

/// 64 KiB (less at most 3 bytes, to end on a code point) of repeated `sample`.
fn text(sample: &str) -> Vec<u8> {
    let mut s = String::with_capacity(LEN + sample.len());
    while s.len() < LEN {
        s.push_str(sample);
    }
    let mut end = LEN;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s.truncate(end);
    s.into_bytes()
}

/// The validator's carry-over logic over `simdutf8::compat`, to measure the switch
/// before making it.
#[derive(Default)]
struct SimdValidator {
    partial: [u8; 4],
    partial_len: usize,
}

impl SimdValidator {
    fn feed(&mut self, mut input: &[u8]) -> Result<(), ()> {
        if self.partial_len > 0 {
            let want = match self.partial[0] {
                0xC0..=0xDF => 2,
                0xE0..=0xEF => 3,
                _ => 4,
            };
            let take = (want - self.partial_len).min(input.len());
            self.partial[self.partial_len..self.partial_len + take].copy_from_slice(&input[..take]);
            let filled = self.partial_len + take;
            match simdutf8::compat::from_utf8(&self.partial[..filled]) {
                Ok(_) => self.partial_len = 0,
                Err(e) if e.error_len().is_none() => {
                    self.partial_len = filled;
                    return Ok(());
                }
                Err(_) => return Err(()),
            }
            input = &input[take..];
        }
        match simdutf8::compat::from_utf8(input) {
            Ok(_) => Ok(()),
            Err(e) if e.error_len().is_none() => {
                let tail = &input[e.valid_up_to()..];
                self.partial[..tail.len()].copy_from_slice(tail);
                self.partial_len = tail.len();
                Ok(())
            }
            Err(_) => Err(()),
        }
    }
}

fn bench_text(group: &mut BenchmarkGroup<'_, WallTime>, bytes: &[u8]) {
    group.throughput(Throughput::Bytes(bytes.len() as u64));
    group.bench_function("validator_whole", |b| {
        b.iter(|| {
            let mut v = Utf8Validator::new();
            v.feed(black_box(bytes)).unwrap();
            v.finish().unwrap();
        });
    });
    group.bench_function("validator_1KiB_pieces", |b| {
        b.iter(|| {
            let mut v = Utf8Validator::new();
            for piece in black_box(bytes).chunks(PIECE) {
                v.feed(piece).unwrap();
            }
            v.finish().unwrap();
        });
    });
    group.bench_function("std_from_utf8", |b| {
        b.iter(|| std::str::from_utf8(black_box(bytes)).unwrap());
    });
    group.bench_function("simdutf8_basic", |b| {
        b.iter(|| simdutf8::basic::from_utf8(black_box(bytes)).unwrap());
    });
    group.bench_function("simdutf8_compat", |b| {
        b.iter(|| simdutf8::compat::from_utf8(black_box(bytes)).unwrap());
    });
    group.bench_function("simd_validator_1KiB_pieces", |b| {
        b.iter(|| {
            let mut v = SimdValidator::default();
            for piece in black_box(bytes).chunks(PIECE) {
                v.feed(piece).unwrap();
            }
            assert_eq!(v.partial_len, 0);
        });
    });
}

fn bench(c: &mut Criterion) {
    let ascii = text("The quick brown fox jumps over the lazy dog; 0123456789 {\"k\":[1,2,3]}\n");
    // Latin with accents (2-byte), Greek (2-byte), CJK (3-byte) and emoji (4-byte):
    // roughly a chat log in several languages, so no single width dominates.
    let mixed = text("Grüße, κόσμε! こんにちは世界 — 你好 😀🎉 déjà vu, ça va? Привет мир ");
    assert!(std::str::from_utf8(&mixed).is_ok());

    let mut group = c.benchmark_group("utf8_ascii_64KiB");
    bench_text(&mut group, &ascii);
    group.finish();
    let mut group = c.benchmark_group("utf8_mixed_64KiB");
    bench_text(&mut group, &mixed);
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
