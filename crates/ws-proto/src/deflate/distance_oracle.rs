//! Test-only: a deliberately naive raw-deflate decoder (RFC 1951) that also
//! reports the longest back-reference distance it met. zlib-rs inflates with a
//! 32 KiB window whatever window bits it is given, so it cannot tell whether a
//! stream fits an 8-bit window; this can.

/// Decodes `stream` (whole blocks, as after a sync flush) into its output and the
/// largest distance used. `Err` on malformed input.
pub(crate) fn inflate_max_distance(stream: &[u8]) -> Result<(Vec<u8>, usize), &'static str> {
    let mut bits = Bits {
        data: stream,
        pos: 0,
    };
    let (mut out, mut max_distance) = (Vec::new(), 0);
    while bits.pos < stream.len() * 8 {
        let last = bits.take(1)? == 1;
        match bits.take(2)? {
            0 => {
                bits.pos = bits.pos.div_ceil(8) * 8;
                let len = bits.take(16)?;
                if bits.take(16)? != !len & 0xffff {
                    return Err("stored length check");
                }
                for _ in 0..len {
                    out.push(bits.take(8)? as u8);
                }
            }
            1 => {
                let mut lengths = [8u8; 288];
                lengths[144..256].fill(9);
                lengths[256..280].fill(7);
                let codes = (Huffman::new(&lengths), Huffman::new(&[5; 30]));
                max_distance = max_distance.max(codes_block(&mut bits, &codes, &mut out)?);
            }
            2 => {
                let codes = dynamic_codes(&mut bits)?;
                max_distance = max_distance.max(codes_block(&mut bits, &codes, &mut out)?);
            }
            _ => return Err("reserved block type"),
        }
        if last {
            break;
        }
    }
    Ok((out, max_distance))
}

struct Bits<'a> {
    data: &'a [u8],
    pos: usize,
}

impl Bits<'_> {
    /// RFC 1951 §3.1.1: values are packed starting with the least significant bit.
    fn take(&mut self, count: usize) -> Result<u32, &'static str> {
        let mut value = 0;
        for i in 0..count {
            let byte = self.data.get(self.pos / 8).ok_or("out of input")?;
            value |= u32::from(byte >> (self.pos % 8) & 1) << i;
            self.pos += 1;
        }
        Ok(value)
    }
}

/// Canonical Huffman code as counts per length and symbols in code order.
struct Huffman {
    counts: [u16; 16],
    symbols: Vec<u16>,
}

impl Huffman {
    fn new(lengths: &[u8]) -> Huffman {
        let mut counts = [0u16; 16];
        lengths
            .iter()
            .for_each(|&len| counts[usize::from(len)] += 1);
        counts[0] = 0;
        let mut symbols: Vec<u16> = (0..lengths.len() as u16)
            .filter(|&s| lengths[usize::from(s)] > 0)
            .collect();
        symbols.sort_by_key(|&s| lengths[usize::from(s)]);
        Huffman { counts, symbols }
    }

    /// Codes are read most significant bit first (RFC 1951 §3.1.1).
    fn decode(&self, bits: &mut Bits<'_>) -> Result<u16, &'static str> {
        let (mut code, mut first, mut index) = (0i32, 0i32, 0usize);
        for &count in &self.counts[1..] {
            code |= bits.take(1)? as i32;
            if code - i32::from(count) < first {
                return Ok(self.symbols[index + (code - first) as usize]);
            }
            index += usize::from(count);
            first = (first + i32::from(count)) << 1;
            code <<= 1;
        }
        Err("invalid code")
    }
}

const LENGTH_BASE: [u16; 29] = [
    3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131,
    163, 195, 227, 258,
];
const LENGTH_EXTRA: [u8; 29] = [
    0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
];
const DIST_BASE: [u16; 30] = [
    1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537,
    2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577,
];
const DIST_EXTRA: [u8; 30] = [
    0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13,
    13,
];

fn codes_block(
    bits: &mut Bits<'_>,
    (lit, dist): &(Huffman, Huffman),
    out: &mut Vec<u8>,
) -> Result<usize, &'static str> {
    let mut max_distance = 0;
    loop {
        let symbol = usize::from(lit.decode(bits)?);
        match symbol {
            0..=255 => out.push(symbol as u8),
            256 => return Ok(max_distance),
            _ => {
                let i = symbol - 257;
                let len = *LENGTH_BASE.get(i).ok_or("bad length")? as usize
                    + bits.take(LENGTH_EXTRA[i].into())? as usize;
                let d = usize::from(dist.decode(bits)?);
                let distance = *DIST_BASE.get(d).ok_or("bad distance")? as usize
                    + bits.take(DIST_EXTRA[d].into())? as usize;
                if distance > out.len() {
                    return Err("distance before start");
                }
                max_distance = max_distance.max(distance);
                for _ in 0..len {
                    out.push(out[out.len() - distance]);
                }
            }
        }
    }
}

/// RFC 1951 §3.2.7: the code lengths of a dynamic block, themselves Huffman-coded.
fn dynamic_codes(bits: &mut Bits<'_>) -> Result<(Huffman, Huffman), &'static str> {
    const ORDER: [usize; 19] = [
        16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15,
    ];
    let nlen = bits.take(5)? as usize + 257;
    let ndist = bits.take(5)? as usize + 1;
    let ncode = bits.take(4)? as usize + 4;
    let mut code_lengths = [0u8; 19];
    for &i in &ORDER[..ncode] {
        code_lengths[i] = bits.take(3)? as u8;
    }
    let code_code = Huffman::new(&code_lengths);
    let mut lengths = Vec::with_capacity(nlen + ndist);
    while lengths.len() < nlen + ndist {
        let (value, repeat) = match code_code.decode(bits)? {
            len @ 0..=15 => (len as u8, 1),
            16 => (
                *lengths.last().ok_or("repeat of nothing")?,
                3 + bits.take(2)?,
            ),
            17 => (0, 3 + bits.take(3)?),
            _ => (0, 11 + bits.take(7)?),
        };
        lengths.extend(std::iter::repeat_n(value, repeat as usize));
    }
    if lengths.len() != nlen + ndist {
        return Err("code lengths overrun");
    }
    Ok((
        Huffman::new(&lengths[..nlen]),
        Huffman::new(&lengths[nlen..]),
    ))
}
