//! `http_compression`: gzip or deflate of polling responses over a size threshold, when the
//! client accepts it.

use std::io::Write;

use bytes::Bytes;
use flate2::Compression;
use flate2::write::{GzEncoder, ZlibEncoder};
use http::HeaderValue;

/// The content codings we produce, in order of preference (the reference server's order).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Coding {
    Gzip,
    /// HTTP's "deflate" is the zlib format (RFC 9110 §8.4.1.2).
    Deflate,
}

impl Coding {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Coding::Gzip => "gzip",
            Coding::Deflate => "deflate",
        }
    }
}

/// The coding to use for a client sending `accept_encoding`, if any.
pub(crate) fn negotiate(accept_encoding: Option<&HeaderValue>) -> Option<Coding> {
    let header = accept_encoding?.to_str().ok()?;
    let accepted = |name: &str| {
        header.split(',').any(|item| {
            let mut parts = item.split(';');
            let coding = parts.next().unwrap_or("").trim();
            let refused = parts.any(|p| {
                p.trim()
                    .strip_prefix("q=")
                    .and_then(|q| q.trim().parse::<f32>().ok())
                    .is_some_and(|q| q <= 0.0)
            });
            (coding.eq_ignore_ascii_case(name) || coding == "*") && !refused
        })
    };
    [Coding::Gzip, Coding::Deflate]
        .into_iter()
        .find(|c| accepted(c.as_str()))
}

/// `body` compressed with `coding`.
pub(crate) fn compress(body: &[u8], coding: Coding) -> std::io::Result<Bytes> {
    let out = Vec::with_capacity(body.len() / 2 + 64);
    let out = match coding {
        Coding::Gzip => {
            let mut encoder = GzEncoder::new(out, Compression::default());
            encoder.write_all(body)?;
            encoder.finish()?
        }
        Coding::Deflate => {
            let mut encoder = ZlibEncoder::new(out, Compression::default());
            encoder.write_all(body)?;
            encoder.finish()?
        }
    };
    Ok(Bytes::from(out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::read::{GzDecoder, ZlibDecoder};
    use std::io::Read;

    #[test]
    fn prefers_gzip_and_honours_q_zero() {
        let n = |s: &'static str| negotiate(Some(&HeaderValue::from_static(s)));
        assert_eq!(n("gzip, deflate, br"), Some(Coding::Gzip));
        assert_eq!(n("deflate"), Some(Coding::Deflate));
        assert_eq!(n("gzip;q=0, deflate;q=0.5"), Some(Coding::Deflate));
        assert_eq!(n("br"), None);
        assert_eq!(n("*"), Some(Coding::Gzip));
        assert_eq!(negotiate(None), None);
    }

    #[test]
    fn round_trips() {
        let body = b"4hello\x1e4hello".repeat(100);
        let mut out = Vec::new();
        GzDecoder::new(&compress(&body, Coding::Gzip).unwrap()[..])
            .read_to_end(&mut out)
            .unwrap();
        assert_eq!(out, body);
        out.clear();
        ZlibDecoder::new(&compress(&body, Coding::Deflate).unwrap()[..])
            .read_to_end(&mut out)
            .unwrap();
        assert_eq!(out, body);
    }
}
