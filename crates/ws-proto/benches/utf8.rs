//! Incremental UTF-8 validation on 64 KiB of text, fed whole and in 1 KiB pieces
//! (pieces cut code points in two, as frame and read boundaries do), against
//! `std::str::from_utf8` and the `simdutf8` crate.
//!
//! The validator runs on `simdutf8::compat`; the bare `simdutf8` rows show what the
//! piecewise carry-over costs on top, the `std` row what the switch to it bought.

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
