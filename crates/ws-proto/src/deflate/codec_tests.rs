//! Codec tests: RFC 7692 §7.2.3 examples, round trips under every parameter
//! combination checked by an independent strict inflater, frame splits, limits.

use super::*;
use crate::deflate::distance_oracle::inflate_max_distance;
use proptest::prelude::*;

const HELLO: [u8; 7] = [0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00];
const LIMIT: usize = 1 << 20;

fn params(snct: bool, cnct: bool, server_bits: u8, client_bits: u8) -> DeflateParams {
    DeflateParams {
        server_no_context_takeover: snct,
        client_no_context_takeover: cnct,
        server_max_window_bits: server_bits,
        client_max_window_bits: client_bits,
    }
}

fn codec(params: DeflateParams, role: Role) -> DeflateCodec {
    DeflateCodec::new(params, role, &DeflateConfig::default())
}

fn compress(codec: &mut DeflateCodec, payload: &[u8]) -> Vec<u8> {
    let mut out = BytesMut::new();
    codec.compress(payload, &mut out).expect("compress");
    out.to_vec()
}

fn decompress(codec: &mut DeflateCodec, payload: &[u8]) -> Result<Vec<u8>, Error> {
    let mut out = BytesMut::new();
    codec.decompress(payload, true, &mut out, LIMIT)?;
    Ok(out.to_vec())
}

/// Deterministic pseudo-random bytes (xorshift), so failures reproduce.
fn noise(len: usize, mut seed: u64) -> Vec<u8> {
    (0..len)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed >> 24) as u8
        })
        .collect()
}

/// Text-like data whose repeats sit at many distances, near and far.
fn text(len: usize, seed: u64) -> Vec<u8> {
    let words: [&[u8]; 8] = [
        b"socket ",
        b"frame ",
        b"deflate ",
        b"window ",
        b"the ",
        b"{\"id\":",
        b"42, ",
        b"\n",
    ];
    noise(len, seed)
        .iter()
        .flat_map(|b| words[usize::from(*b) % words.len()].iter().copied())
        .take(len)
        .collect()
}

/// Checks `messages` sent as `wire` against the independent decoder: same
/// content, and no back-reference reaching past a `bits` window (across
/// messages too when the context is kept).
fn check_against_oracle(
    messages: &[Vec<u8>],
    wire: &[Vec<u8>],
    bits: u8,
    no_context_takeover: bool,
) {
    let window = 1usize << bits;
    let framed: Vec<Vec<u8>> = wire.iter().map(|w| [&w[..], &TAIL].concat()).collect();
    let streams: Vec<(Vec<u8>, Vec<u8>)> = if no_context_takeover {
        framed.into_iter().zip(messages.iter().cloned()).collect()
    } else {
        vec![(framed.concat(), messages.concat())]
    };
    for (stream, expected) in streams {
        let (decoded, max_distance) = inflate_max_distance(&stream).expect("oracle decodes");
        assert_eq!(decoded, expected);
        assert!(
            max_distance <= window,
            "distance {max_distance} > window {window}"
        );
    }
}

#[test]
fn rfc_7692_7_2_3_1_hello() {
    let mut server = codec(DeflateParams::default(), Role::Server);
    assert_eq!(compress(&mut server, b"Hello"), HELLO);
    let mut client = codec(DeflateParams::default(), Role::Client);
    assert_eq!(decompress(&mut client, &HELLO).unwrap(), b"Hello");
    // Split into two frames as in the RFC's fragmented example.
    let mut out = BytesMut::new();
    client
        .decompress(&HELLO[..3], false, &mut out, LIMIT)
        .unwrap();
    client
        .decompress(&HELLO[3..], true, &mut out, LIMIT)
        .unwrap();
    assert_eq!(&out[..], b"Hello");
}

#[test]
fn rfc_7692_7_2_3_2_shared_window() {
    let second = [0xf2, 0x00, 0x11, 0x00, 0x00];
    let mut server = codec(DeflateParams::default(), Role::Server);
    assert_eq!(compress(&mut server, b"Hello"), HELLO);
    assert_eq!(compress(&mut server, b"Hello"), second);
    let mut client = codec(DeflateParams::default(), Role::Client);
    assert_eq!(decompress(&mut client, &HELLO).unwrap(), b"Hello");
    assert_eq!(decompress(&mut client, &second).unwrap(), b"Hello");

    // Without context takeover the second message cannot refer to the first.
    let mut server = codec(params(true, false, 15, 15), Role::Server);
    assert_eq!(compress(&mut server, b"Hello"), HELLO);
    assert_eq!(compress(&mut server, b"Hello"), HELLO);
    let mut client = codec(params(true, false, 15, 15), Role::Client);
    assert_eq!(decompress(&mut client, &HELLO).unwrap(), b"Hello");
    assert!(decompress(&mut client, &second).is_err());
}

#[test]
fn rfc_7692_7_2_3_3_stored_block() {
    let stored = [
        0x00, 0x05, 0x00, 0xfa, 0xff, 0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x00,
    ];
    let mut client = codec(DeflateParams::default(), Role::Client);
    assert_eq!(decompress(&mut client, &stored).unwrap(), b"Hello");
}

#[test]
fn rfc_7692_7_2_3_4_bfinal_block_then_next_message() {
    let final_block = [0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00];
    let mut client = codec(DeflateParams::default(), Role::Client);
    assert_eq!(decompress(&mut client, &final_block).unwrap(), b"Hello");
    // Split after the final block: the padding frame is ignored.
    let mut out = BytesMut::new();
    client
        .decompress(&final_block[..7], false, &mut out, LIMIT)
        .unwrap();
    client
        .decompress(&final_block[7..], true, &mut out, LIMIT)
        .unwrap();
    assert_eq!(&out[..], b"Hello");
    // The ended stream was replaced: the next message inflates from scratch.
    assert_eq!(decompress(&mut client, &HELLO).unwrap(), b"Hello");
}

#[test]
fn rfc_7692_7_2_3_6_empty_message() {
    let mut server = codec(DeflateParams::default(), Role::Server);
    assert_eq!(compress(&mut server, b""), [0x00]);
    let mut client = codec(DeflateParams::default(), Role::Client);
    assert_eq!(decompress(&mut client, &[0x00]).unwrap(), b"");
    assert_eq!(decompress(&mut client, &[]).unwrap(), b"");
    assert_eq!(decompress(&mut client, &HELLO).unwrap(), b"Hello");
}

#[test]
fn round_trips_under_every_parameter_combination() {
    let messages = [
        text(3000, 1),
        noise(700, 2),
        text(3000, 1),
        Vec::new(),
        text(40_000, 3),
    ];
    for snct in [false, true] {
        for cnct in [false, true] {
            for server_bits in [8, 9, 12, 15] {
                for client_bits in [8, 9, 12, 15] {
                    let agreed = params(snct, cnct, server_bits, client_bits);
                    for (from, to, bits, no_takeover) in [
                        (Role::Server, Role::Client, server_bits, snct),
                        (Role::Client, Role::Server, client_bits, cnct),
                    ] {
                        let (mut sender, mut receiver) = (codec(agreed, from), codec(agreed, to));
                        let mut wire = Vec::new();
                        for message in &messages {
                            wire.push(compress(&mut sender, message));
                            let inflated = decompress(&mut receiver, wire.last().unwrap()).unwrap();
                            assert_eq!(&inflated, message, "{agreed:?} {from:?}");
                        }
                        check_against_oracle(&messages, &wire, bits, no_takeover);
                    }
                }
            }
        }
    }
}

#[test]
fn nine_bit_compressor_fits_an_eight_bit_window() {
    // Repeats 400 bytes apart: reachable with a 10-bit window, not with 9 bits.
    let block = noise(400, 7);
    let data: Vec<u8> = block.iter().cycle().take(4000).copied().collect();
    let mut narrow = codec(params(false, false, 8, 8), Role::Server);
    let wire = [compress(&mut narrow, &data), TAIL.to_vec()].concat();
    let (decoded, max_distance) = inflate_max_distance(&wire).unwrap();
    assert_eq!(decoded, data);
    assert!(max_distance <= 250, "{max_distance}");
    // The check has teeth: a 10-bit stream does use those distances.
    let mut wide = codec(params(false, false, 10, 10), Role::Server);
    let wire = [compress(&mut wide, &data), TAIL.to_vec()].concat();
    let (decoded, max_distance) = inflate_max_distance(&wire).unwrap();
    assert_eq!(decoded, data);
    assert!(max_distance > 256, "{max_distance}");
}

#[test]
fn compression_bomb_fails_without_allocating_its_size() {
    let mut server = codec(DeflateParams::default(), Role::Server);
    let bomb = compress(&mut server, &vec![0u8; 8 << 20]);
    assert!(bomb.len() < 16 << 10, "{}", bomb.len());
    let max = 64 << 10;
    for split in [bomb.len(), 100] {
        let mut client = codec(DeflateParams::default(), Role::Client);
        let mut out = BytesMut::new();
        let mut result = Ok(());
        for (i, frame) in bomb.chunks(split).enumerate() {
            let fin = (i + 1) * split >= bomb.len();
            result = client.decompress(frame, fin, &mut out, max);
            if result.is_err() {
                break;
            }
        }
        assert_eq!(result, Err(Error::MessageTooLarge { max }));
        assert!(
            out.capacity() <= max + 2 * INFLATE_CHUNK,
            "{}",
            out.capacity()
        );
    }
}

#[test]
fn limit_is_inclusive() {
    let data = text(5000, 9);
    let mut server = codec(DeflateParams::default(), Role::Server);
    let wire = compress(&mut server, &data);
    let mut out = BytesMut::new();
    let mut at_limit = codec(params(false, true, 15, 15), Role::Client);
    at_limit
        .decompress(&wire, true, &mut out, data.len())
        .unwrap();
    assert_eq!(&out[..], &data[..]);
    let mut out = BytesMut::new();
    let mut below = codec(DeflateParams::default(), Role::Client);
    let result = below.decompress(&wire, true, &mut out, data.len() - 1);
    assert_eq!(
        result,
        Err(Error::MessageTooLarge {
            max: data.len() - 1
        })
    );
}

#[test]
fn corrupt_data_is_invalid_compressed_data() {
    for corrupt in [&[0xff, 0xff, 0xff][..], &[0x07], &[0x02, 0x01, 0x01, 0x01]] {
        let mut client = codec(DeflateParams::default(), Role::Client);
        let result = decompress(&mut client, corrupt);
        assert!(
            matches!(result, Err(Error::InvalidCompressedData(_))),
            "{corrupt:?}: {result:?}"
        );
    }
}

#[test]
fn threshold_decides_what_is_compressed() {
    let config = DeflateConfig::default().threshold(64);
    let codec = DeflateCodec::new(DeflateParams::default(), Role::Server, &config);
    assert!(!codec.should_compress(63));
    assert!(codec.should_compress(64));
    assert!(self::codec(DeflateParams::default(), Role::Server).should_compress(0));
}

#[test]
fn state_is_allocated_lazily_and_released_without_context_takeover() {
    let mut server = codec(params(true, true, 15, 15), Role::Server);
    let mut client = codec(params(true, true, 15, 15), Role::Client);
    assert!(server.compressor.is_none() && client.decompressor.is_none());
    let wire = compress(&mut server, b"Hello");
    assert_eq!(decompress(&mut client, &wire).unwrap(), b"Hello");
    assert!(server.compressor.is_none() && client.decompressor.is_none());

    let mut server = codec(DeflateParams::default(), Role::Server);
    let mut client = codec(DeflateParams::default(), Role::Client);
    let wire = compress(&mut server, b"Hello");
    assert_eq!(decompress(&mut client, &wire).unwrap(), b"Hello");
    assert!(server.compressor.is_some() && client.decompressor.is_some());
}

proptest! {
    #[test]
    fn any_frame_split_inflates_to_the_message(
        messages in prop::collection::vec(prop::collection::vec(prop::sample::select(b"ab c{}\"0".to_vec()), 0..3000), 1..4),
        splits in prop::collection::vec(0usize..3000, 0..8),
        no_context_takeover in any::<bool>(),
    ) {
        let agreed = params(false, no_context_takeover, 15, 15);
        let (mut client, mut server) = (codec(agreed, Role::Client), codec(agreed, Role::Server));
        for message in &messages {
            let wire = compress(&mut client, message);
            let mut cuts: Vec<usize> = splits.iter().map(|s| s % (wire.len() + 1)).collect();
            cuts.sort_unstable();
            let mut out = BytesMut::new();
            let mut start = 0;
            for cut in cuts {
                server.decompress(&wire[start..cut], false, &mut out, LIMIT).unwrap();
                start = cut;
            }
            server.decompress(&wire[start..], true, &mut out, LIMIT).unwrap();
            prop_assert_eq!(&out[..], &message[..]);
        }
    }

    #[test]
    fn arbitrary_input_never_panics(input in prop::collection::vec(any::<u8>(), 0..512), max in 0usize..4096) {
        let mut client = codec(DeflateParams::default(), Role::Client);
        let mut out = BytesMut::new();
        if client.decompress(&input, true, &mut out, max).is_ok() {
            prop_assert!(out.len() <= max);
        }
    }
}
