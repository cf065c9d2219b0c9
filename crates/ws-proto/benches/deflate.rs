//! permessage-deflate costs: codec round trips, and what releasing zlib state
//! after each message costs compared with resetting it.

use bytes::BytesMut;
use criterion::{BenchmarkId, Criterion, Throughput};
use duplex_ws_proto::Role;
use duplex_ws_proto::deflate::{DeflateCodec, DeflateConfig, DeflateParams};
use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress};
use std::hint::black_box;

/// JSON-ish chat traffic: the payload shape the stack mostly carries.
fn text_like(len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len);
    let mut i = 0u32;
    while out.len() < len {
        out.extend_from_slice(
            format!(
                "{{\"id\":{i},\"room\":\"lobby\",\"user\":\"u{}\",\"text\":\"hello {}\"}},",
                i % 17,
                i * 7919 % 1000
            )
            .as_bytes(),
        );
        i += 1;
    }
    out.truncate(len);
    out
}

fn round_trip(c: &mut Criterion) {
    let mut group = c.benchmark_group("round_trip");
    for (name, params) in [
        ("takeover", DeflateParams::default()),
        (
            "no_takeover",
            DeflateParams {
                server_no_context_takeover: true,
                client_no_context_takeover: true,
                ..DeflateParams::default()
            },
        ),
    ] {
        for len in [16, 1 << 10, 64 << 10] {
            let payload = text_like(len);
            let config = DeflateConfig::default();
            let mut server = DeflateCodec::new(params, Role::Server, &config);
            let mut client = DeflateCodec::new(params, Role::Client, &config);
            let (mut wire, mut message) = (BytesMut::new(), BytesMut::new());
            group.throughput(Throughput::Bytes(len as u64));
            group.bench_with_input(BenchmarkId::new(name, len), &payload, |b, payload| {
                b.iter(|| {
                    wire.clear();
                    message.clear();
                    server.compress(payload, &mut wire).unwrap();
                    client
                        .decompress(&wire, true, &mut message, usize::MAX)
                        .unwrap();
                    black_box(message.len())
                })
            });
        }
    }
    group.finish();
}

/// One 16-byte message through a zlib state that is either reset or created anew.
fn state(c: &mut Criterion) {
    let payload = text_like(16);
    let mut group = c.benchmark_group("state");
    let mut out = vec![0u8; 256];
    let mut compressor = Compress::new_with_window_bits(Compression::new(6), false, 15);
    group.bench_function("deflate_reset", |b| {
        b.iter(|| {
            compressor.reset();
            compressor
                .compress(&payload, &mut out, FlushCompress::Sync)
                .unwrap();
        })
    });
    group.bench_function("deflate_new", |b| {
        b.iter(|| {
            let mut compressor = Compress::new_with_window_bits(Compression::new(6), false, 15);
            compressor
                .compress(&payload, &mut out, FlushCompress::Sync)
                .unwrap();
        })
    });
    let mut wire = vec![0u8; 256];
    let mut compressor = Compress::new_with_window_bits(Compression::new(6), false, 15);
    compressor
        .compress(&payload, &mut wire, FlushCompress::Sync)
        .unwrap();
    wire.truncate(compressor.total_out() as usize);
    let mut decompressor = Decompress::new_with_window_bits(false, 15);
    group.bench_function("inflate_reset", |b| {
        b.iter(|| {
            decompressor.reset(false);
            decompressor
                .decompress(&wire, &mut out, FlushDecompress::None)
                .unwrap();
        })
    });
    group.bench_function("inflate_new", |b| {
        b.iter(|| {
            let mut decompressor = Decompress::new_with_window_bits(false, 15);
            decompressor
                .decompress(&wire, &mut out, FlushDecompress::None)
                .unwrap();
        })
    });
    group.finish();
}

/// Runs both groups with criterion's command-line settings; written out because
/// `criterion_group!`/`criterion_main!` generate undocumented functions.
fn main() {
    let mut criterion = Criterion::default().configure_from_args();
    round_trip(&mut criterion);
    state(&mut criterion);
    criterion.final_summary();
}
