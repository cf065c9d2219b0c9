//! Reading and writing HTTP/1.1 heads (request or status line plus headers), the
//! only part of HTTP the upgrade handshake needs. Bodies are the caller's business.

use bytes::BufMut;
use http::header::{HeaderName, HeaderValue};
use http::{HeaderMap, Method, StatusCode, Uri, Version};

use super::HandshakeError;

/// Most headers a head may carry; more is [`HandshakeError::TooManyHeaders`].
/// Browsers send about a dozen on an upgrade request.
pub const MAX_HEADERS: usize = 64;

/// A sensible `max_head_len` for [`parse_request`] and [`parse_response`]: 16 KiB,
/// room for large cookies, the same bound Node's HTTP server uses by default.
pub const DEFAULT_MAX_HEAD_LEN: usize = 16 * 1024;

/// Parses a request head from the start of `buf`.
///
/// Returns `Ok(None)` while the head is incomplete, and `Ok(Some((request, len)))`
/// once it is, where `len` is the head's length including the blank line: bytes past
/// it belong to the connection. A head longer than `max_head_len` bytes is
/// [`HandshakeError::TooLarge`] as soon as that many bytes arrived without it ending.
///
/// ```
/// use duplex_ws_proto::handshake::{parse_request, DEFAULT_MAX_HEAD_LEN};
///
/// let bytes = b"GET /chat HTTP/1.1\r\nHost: example.com\r\n\r\nrest";
/// assert!(parse_request(&bytes[..10], DEFAULT_MAX_HEAD_LEN)?.is_none());
/// let (request, len) = parse_request(bytes, DEFAULT_MAX_HEAD_LEN)?.expect("complete");
/// assert_eq!(request.uri().path(), "/chat");
/// assert_eq!(&bytes[len..], b"rest");
/// # Ok::<(), duplex_ws_proto::handshake::HandshakeError>(())
/// ```
pub fn parse_request(
    buf: &[u8],
    max_head_len: usize,
) -> Result<Option<(http::Request<()>, usize)>, HandshakeError> {
    let mut slots = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut parsed = httparse::Request::new(&mut slots);
    // Parsing no further than the limit bounds the work done on a hostile stream.
    let window = &buf[..buf.len().min(max_head_len)];
    let len = match parsed.parse(window).map_err(from_httparse)? {
        httparse::Status::Complete(len) => len,
        httparse::Status::Partial => return incomplete(buf, max_head_len),
    };
    let mut request = http::Request::new(());
    *request.method_mut() = Method::from_bytes(parsed.method.unwrap_or_default().as_bytes())
        .map_err(|_| malformed("invalid method"))?;
    *request.uri_mut() = Uri::try_from(parsed.path.unwrap_or_default())
        .map_err(|_| malformed("invalid request target"))?;
    *request.version_mut() = version(parsed.version);
    *request.headers_mut() = header_map(parsed.headers)?;
    Ok(Some((request, len)))
}

/// Parses a response head from the start of `buf`; same contract as [`parse_request`].
///
/// The reason phrase is not kept: only the status code means anything.
pub fn parse_response(
    buf: &[u8],
    max_head_len: usize,
) -> Result<Option<(http::Response<()>, usize)>, HandshakeError> {
    let mut slots = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut parsed = httparse::Response::new(&mut slots);
    let window = &buf[..buf.len().min(max_head_len)];
    let len = match parsed.parse(window).map_err(from_httparse)? {
        httparse::Status::Complete(len) => len,
        httparse::Status::Partial => return incomplete(buf, max_head_len),
    };
    let mut response = http::Response::new(());
    *response.status_mut() = StatusCode::from_u16(parsed.code.unwrap_or_default())
        .map_err(|_| malformed("invalid status code"))?;
    *response.version_mut() = version(parsed.version);
    *response.headers_mut() = header_map(parsed.headers)?;
    Ok(Some((response, len)))
}

/// Writes a request head: `METHOD path?query HTTP/1.1`, the headers, a blank line.
///
/// The request line always says HTTP/1.1 and uses the origin form of the URI; the
/// `Host` header must be among the headers ([`super::ClientRequest`] puts it there).
pub fn write_request(request: &http::Request<()>, dst: &mut impl BufMut) {
    let uri = request.uri();
    dst.put_slice(request.method().as_str().as_bytes());
    dst.put_u8(b' ');
    // An origin-form target starts with "/" even when the URI's path is empty.
    let path = uri.path();
    dst.put_slice(if path.is_empty() { "/" } else { path }.as_bytes());
    if let Some(query) = uri.query() {
        dst.put_u8(b'?');
        dst.put_slice(query.as_bytes());
    }
    dst.put_slice(b" HTTP/1.1\r\n");
    write_headers(request.headers(), dst);
}

/// Writes a response head: `HTTP/1.1 code reason`, the headers, a blank line.
pub fn write_response(response: &http::Response<()>, dst: &mut impl BufMut) {
    write_status_line(response.status(), dst);
    write_headers(response.headers(), dst);
}

/// Writes `HTTP/1.1 <code> <canonical reason>\r\n`.
pub(crate) fn write_status_line(status: StatusCode, dst: &mut impl BufMut) {
    dst.put_slice(b"HTTP/1.1 ");
    dst.put_slice(status.as_str().as_bytes());
    dst.put_u8(b' ');
    dst.put_slice(status.canonical_reason().unwrap_or_default().as_bytes());
    dst.put_slice(b"\r\n");
}

/// Writes each header as `name: value\r\n`, then the blank line ending the head.
// `HeaderValue` cannot hold CR or LF, so no value can inject a header or end the head.
pub(crate) fn write_headers(headers: &HeaderMap, dst: &mut impl BufMut) {
    for (name, value) in headers {
        dst.put_slice(name.as_str().as_bytes());
        dst.put_slice(b": ");
        dst.put_slice(value.as_bytes());
        dst.put_slice(b"\r\n");
    }
    dst.put_slice(b"\r\n");
}

fn incomplete<T>(buf: &[u8], max_head_len: usize) -> Result<Option<T>, HandshakeError> {
    // With `max_head_len` bytes in hand and no end yet, the head cannot fit.
    if buf.len() >= max_head_len {
        Err(HandshakeError::TooLarge { max: max_head_len })
    } else {
        Ok(None)
    }
}

fn version(minor: Option<u8>) -> Version {
    // httparse accepts only HTTP/1.0 and HTTP/1.1.
    if minor == Some(0) {
        Version::HTTP_10
    } else {
        Version::HTTP_11
    }
}

fn header_map(parsed: &[httparse::Header<'_>]) -> Result<HeaderMap, HandshakeError> {
    let mut map = HeaderMap::with_capacity(parsed.len());
    for header in parsed {
        let name = HeaderName::from_bytes(header.name.as_bytes())
            .map_err(|_| malformed("invalid header name"))?;
        let value =
            HeaderValue::from_bytes(header.value).map_err(|_| malformed("invalid header value"))?;
        map.append(name, value);
    }
    Ok(map)
}

fn from_httparse(error: httparse::Error) -> HandshakeError {
    match error {
        httparse::Error::TooManyHeaders => HandshakeError::TooManyHeaders { max: MAX_HEADERS },
        other => HandshakeError::Malformed(other.to_string()),
    }
}

fn malformed(reason: &str) -> HandshakeError {
    HandshakeError::Malformed(reason.to_owned())
}

#[cfg(test)]
mod tests;
