//! Reading header fields, mostly list-valued ones (RFC 7230 §7 `#rule`): `Connection`, `Upgrade`,
//! `Sec-WebSocket-Protocol`, `Sec-WebSocket-Extensions`.

use http::HeaderMap;
use http::header::{HeaderName, HeaderValue};

use super::HandshakeError;

/// The elements of a comma-separated list header over all of its occurrences,
/// trimmed, in order. `None` if a value is not visible ASCII.
// RFC 7230 §7: a recipient MUST accept empty list elements and ignore them.
pub(crate) fn list_elements<'a>(headers: &'a HeaderMap, name: &HeaderName) -> Option<Vec<&'a str>> {
    let mut out = Vec::new();
    for value in headers.get_all(name) {
        let value = value.to_str().ok()?;
        out.extend(value.split(',').map(str::trim).filter(|e| !e.is_empty()));
    }
    Some(out)
}

/// Whether a list header holds `token`, compared case-insensitively.
pub(crate) fn has_token(headers: &HeaderMap, name: &HeaderName, token: &str) -> bool {
    list_elements(headers, name)
        .is_some_and(|elements| elements.iter().any(|e| e.eq_ignore_ascii_case(token)))
}

/// Whether `s` is an RFC 7230 `token`: one or more `tchar`s.
pub(crate) fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// Splits `Sec-WebSocket-Extensions` values into extensions (`name; param=value`),
/// over all occurrences, ignoring commas inside quoted strings. `None` if a value is
/// not visible ASCII.
pub(crate) fn extension_elements<'a>(
    headers: &'a HeaderMap,
    name: &HeaderName,
) -> Option<Vec<&'a str>> {
    let mut out = Vec::new();
    for value in headers.get_all(name) {
        let value = value.to_str().ok()?;
        let (mut start, mut quoted, mut escaped) = (0, false, false);
        for (i, b) in value.bytes().enumerate() {
            match b {
                _ if escaped => escaped = false,
                b'\\' if quoted => escaped = true,
                b'"' => quoted = !quoted,
                b',' if !quoted => {
                    out.push(value[start..i].trim());
                    start = i + 1;
                }
                _ => {}
            }
        }
        out.push(value[start..].trim());
    }
    out.retain(|e| !e.is_empty());
    Some(out)
}

/// The name of one extension element: what precedes its first `;`.
pub(crate) fn extension_name(element: &str) -> &str {
    element.split(';').next().unwrap_or_default().trim()
}

/// The one value of a header that must appear exactly once.
pub(crate) fn single<'a>(
    headers: &'a HeaderMap,
    name: &HeaderName,
    display: &'static str,
) -> Result<&'a HeaderValue, HandshakeError> {
    let mut values = headers.get_all(name).iter();
    match (values.next(), values.next()) {
        (Some(value), None) => Ok(value),
        (None, _) => Err(HandshakeError::MissingHeader(display)),
        (Some(_), Some(_)) => Err(HandshakeError::InvalidHeader {
            header: display,
            reason: "must appear once",
        }),
    }
}

/// Checks that a list header is present and holds `token`.
pub(crate) fn require_token(
    headers: &HeaderMap,
    name: &HeaderName,
    display: &'static str,
    token: &'static str,
) -> Result<(), HandshakeError> {
    if !headers.contains_key(name) {
        Err(HandshakeError::MissingHeader(display))
    } else if !has_token(headers, name, token) {
        Err(HandshakeError::MissingToken {
            header: display,
            token,
        })
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(values: &[&'static str]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for v in values {
            map.append(http::header::CONNECTION, HeaderValue::from_static(v));
        }
        map
    }

    #[test]
    fn tokens_in_lists() {
        let cases: &[(&[&'static str], &str, bool)] = &[
            (&["Upgrade"], "upgrade", true),
            (&["keep-alive, Upgrade"], "upgrade", true),
            (&["keep-alive,Upgrade"], "upgrade", true),
            (&["keep-alive", "UPGRADE"], "upgrade", true),
            (&[" , upgrade ,"], "upgrade", true),
            (&["keep-alive"], "upgrade", false),
            (&["upgraded"], "upgrade", false),
            (&["up grade"], "upgrade", false),
            (&[], "upgrade", false),
        ];
        for (values, token, expected) in cases {
            let map = headers(values);
            assert_eq!(
                has_token(&map, &http::header::CONNECTION, token),
                *expected,
                "{values:?}"
            );
        }
    }

    #[test]
    fn token_grammar() {
        for ok in ["chat", "v1.json.api", "a-b_c~d", "x!#$%&'*+-.^_`|~"] {
            assert!(is_token(ok), "{ok}");
        }
        for bad in ["", "a b", "a,b", "a;b", "\"q\"", "a/b", "é"] {
            assert!(!is_token(bad), "{bad}");
        }
    }

    #[test]
    fn extension_splitting() {
        let map = headers(&[
            "permessage-deflate; client_max_window_bits, x-foo; a=\"1,2\"",
            "x-bar; q=\"a\\\",b\"",
        ]);
        let elements = extension_elements(&map, &http::header::CONNECTION).unwrap();
        assert_eq!(
            elements,
            [
                "permessage-deflate; client_max_window_bits",
                "x-foo; a=\"1,2\"",
                "x-bar; q=\"a\\\",b\"",
            ]
        );
        let names: Vec<_> = elements.iter().map(|e| extension_name(e)).collect();
        assert_eq!(names, ["permessage-deflate", "x-foo", "x-bar"]);
    }
}
