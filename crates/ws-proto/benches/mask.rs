//! Masking throughput on 64 KiB payloads: our word-at-a-time kernel against a
//! byte-at-a-time loop, so a regression of the kernel shows as a ratio, not only
//! as an absolute figure that swings with the machine.

#![expect(
    missing_docs,
    reason = "criterion_group! generates an undocumented pub fn"
)]

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use duplex_ws_proto::mask::apply_mask;

const LEN: usize = 64 * 1024;
const KEY: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

/// The obvious loop, kept out of line so the compiler cannot fold it into the kernel.
#[inline(never)]
fn naive(buf: &mut [u8], key: [u8; 4], offset: usize) {
    for (i, byte) in buf.iter_mut().enumerate() {
        *byte ^= key[(i + offset) % 4];
    }
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("mask_64KiB");
    group.throughput(Throughput::Bytes(LEN as u64));
    let mut buf = vec![0x5au8; LEN];
    group.bench_function("apply_mask", |b| {
        b.iter(|| apply_mask(black_box(&mut buf), black_box(KEY), 0));
    });
    // An odd start exercises the path a payload takes when it is unmasked as it
    // arrives, a read at a time, from a position that is not word-aligned.
    group.bench_function("apply_mask_unaligned", |b| {
        b.iter(|| apply_mask(black_box(&mut buf[3..]), black_box(KEY), 3));
    });
    group.bench_function("naive_bytewise", |b| {
        b.iter(|| naive(black_box(&mut buf), black_box(KEY), 0));
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
