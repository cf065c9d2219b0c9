//! Frame header decode and encode for each length form: 2 bytes (short, unmasked
//! server frame), 4 bytes (16-bit length) and 14 bytes (64-bit length, masked).

#![expect(
    missing_docs,
    reason = "criterion_group! generates an undocumented pub fn"
)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use duplex_ws_proto::frame::{FrameHeader, OpCode};

fn header(payload_len: u64, mask: Option<[u8; 4]>) -> FrameHeader {
    FrameHeader {
        fin: true,
        rsv1: false,
        rsv2: false,
        rsv3: false,
        opcode: OpCode::Binary,
        mask,
        payload_len,
    }
}

fn bench(c: &mut Criterion) {
    let cases = [
        ("2B", header(16, None)),
        ("4B", header(1024, None)),
        ("14B", header(1 << 20, Some([1, 2, 3, 4]))),
    ];
    let mut decode = c.benchmark_group("frame_decode");
    for (name, h) in cases {
        let mut wire = Vec::new();
        h.encode(&mut wire);
        assert_eq!(wire.len(), h.encoded_len());
        decode.bench_function(name, |b| {
            b.iter(|| FrameHeader::decode(black_box(&wire)));
        });
    }
    decode.finish();

    let mut encode = c.benchmark_group("frame_encode");
    for (name, h) in cases {
        // A reused stack buffer, as a driver writing into its send buffer would do:
        // the figure is the encoder, not an allocation.
        let mut out = [0u8; 14];
        encode.bench_function(name, |b| {
            b.iter(|| {
                let mut slice = &mut out[..];
                black_box(h).encode(&mut slice);
                black_box(&out);
            });
        });
    }
    encode.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
