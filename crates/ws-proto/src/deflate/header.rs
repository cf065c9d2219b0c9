//! The `Sec-WebSocket-Extensions` header grammar (RFC 6455 §9.1, with RFC 7230 §3.2.6
//! tokens and quoted-strings): a comma-separated list of extensions, each a token
//! followed by `;`-separated parameters whose values are tokens or quoted-strings.

/// One element of the list: an extension name and its parameters, in order, with
/// quoted-string values already unescaped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Extension {
    pub(crate) name: String,
    pub(crate) params: Vec<(String, Option<String>)>,
}

/// Why a list element could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Malformed(pub(crate) &'static str);

/// Splits one header value into its elements and parses each on its own, so that
/// one malformed element does not hide the well-formed ones around it. Empty
/// elements (`a, , b`) are skipped, as RFC 7230 §7 asks of list recipients.
pub(crate) fn parse_list(value: &str) -> Vec<Result<Extension, Malformed>> {
    split_elements(value.as_bytes())
        .into_iter()
        .filter(|element| !trim(element).is_empty())
        .map(parse_element)
        .collect()
}

/// Splits on commas that are outside quoted-strings.
fn split_elements(value: &[u8]) -> Vec<&[u8]> {
    let mut elements = Vec::new();
    let mut start = 0;
    let mut in_quotes = false;
    let mut escaped = false;
    for (i, &byte) in value.iter().enumerate() {
        if in_quotes {
            if escaped {
                escaped = false;
            } else if byte == b'\\' {
                escaped = true;
            } else if byte == b'"' {
                in_quotes = false;
            }
        } else if byte == b'"' {
            in_quotes = true;
        } else if byte == b',' {
            elements.push(&value[start..i]);
            start = i + 1;
        }
    }
    elements.push(&value[start..]);
    elements
}

fn parse_element(element: &[u8]) -> Result<Extension, Malformed> {
    let mut cursor = Cursor { rest: element };
    cursor.skip_ows();
    let name = cursor
        .token()
        .ok_or(Malformed("extension name is not a token"))?;
    let mut params = Vec::new();
    loop {
        cursor.skip_ows();
        match cursor.next() {
            None => break,
            Some(b';') => {}
            Some(_) => return Err(Malformed("expected `;` between parameters")),
        }
        cursor.skip_ows();
        let param = cursor
            .token()
            .ok_or(Malformed("parameter name is not a token"))?;
        cursor.skip_ows();
        let value = if cursor.peek() == Some(b'=') {
            cursor.next();
            cursor.skip_ows();
            let value = if cursor.peek() == Some(b'"') {
                cursor.quoted_string()?
            } else {
                cursor
                    .token()
                    .ok_or(Malformed("parameter value is not a token"))?
            };
            Some(value)
        } else {
            None
        };
        params.push((param, value));
    }
    Ok(Extension { name, params })
}

/// RFC 7230 §3.2.6 `tchar`.
fn is_tchar(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&byte)
}

fn trim(bytes: &[u8]) -> &[u8] {
    let start = bytes
        .iter()
        .position(|b| !is_ows(*b))
        .unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|b| !is_ows(*b))
        .map_or(start, |i| i + 1);
    &bytes[start..end]
}

fn is_ows(byte: u8) -> bool {
    byte == b' ' || byte == b'\t'
}

struct Cursor<'a> {
    rest: &'a [u8],
}

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.rest.first().copied()
    }

    fn next(&mut self) -> Option<u8> {
        let (&first, rest) = self.rest.split_first()?;
        self.rest = rest;
        Some(first)
    }

    fn skip_ows(&mut self) {
        while self.peek().is_some_and(is_ows) {
            self.rest = &self.rest[1..];
        }
    }

    fn token(&mut self) -> Option<String> {
        let len = self.rest.iter().take_while(|b| is_tchar(**b)).count();
        if len == 0 {
            return None;
        }
        let (token, rest) = self.rest.split_at(len);
        self.rest = rest;
        // tchar is ASCII, so this never allocates a replacement character.
        Some(String::from_utf8_lossy(token).into_owned())
    }

    /// Reads `"..."` with `\`-escapes (RFC 7230 §3.2.6) and returns the unescaped text.
    fn quoted_string(&mut self) -> Result<String, Malformed> {
        self.next();
        let mut text = Vec::new();
        loop {
            match self.next() {
                None => return Err(Malformed("unterminated quoted-string")),
                Some(b'"') => break,
                Some(b'\\') => match self.next() {
                    Some(byte) if byte == b'\t' || byte >= b' ' && byte != 0x7f => text.push(byte),
                    _ => return Err(Malformed("invalid quoted-pair")),
                },
                Some(byte) if byte == b'\t' || byte >= b' ' && byte != 0x7f => text.push(byte),
                Some(_) => return Err(Malformed("control character in quoted-string")),
            }
        }
        String::from_utf8(text).map_err(|_| Malformed("quoted-string is not UTF-8"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ext(name: &str, params: &[(&str, Option<&str>)]) -> Extension {
        Extension {
            name: name.into(),
            params: params
                .iter()
                .map(|(k, v)| ((*k).into(), v.map(Into::into)))
                .collect(),
        }
    }

    #[test]
    fn parses_lists_params_and_quoted_values() {
        let parsed = parse_list(
            " permessage-deflate ; client_max_window_bits ;server_max_window_bits = \"1\\0\" ,, x-foo",
        );
        assert_eq!(
            parsed,
            vec![
                Ok(ext(
                    "permessage-deflate",
                    &[
                        ("client_max_window_bits", None),
                        ("server_max_window_bits", Some("10"))
                    ]
                )),
                Ok(ext("x-foo", &[])),
            ]
        );
    }

    #[test]
    fn comma_inside_quotes_does_not_split() {
        let parsed = parse_list("a; p=\"x,y\", b");
        assert_eq!(
            parsed,
            vec![Ok(ext("a", &[("p", Some("x,y"))])), Ok(ext("b", &[]))]
        );
    }

    #[test]
    fn malformed_elements_are_reported_one_by_one() {
        let parsed = parse_list("a; =1, b; p=\"open, c;;, d e, f; p=, ok");
        assert!(parsed[0].is_err());
        // The unterminated quote swallows the rest of the value: one malformed element.
        assert_eq!(parsed.len(), 2);
        assert!(parsed[1].is_err());

        let parsed = parse_list("c;;, d e, f; p=, g; p=\"\\\u{1}\", ok");
        assert_eq!(parsed.len(), 5);
        assert!(parsed[..4].iter().all(Result::is_err));
        assert_eq!(parsed[4], Ok(ext("ok", &[])));
    }

    #[test]
    fn empty_header_has_no_elements() {
        assert!(parse_list("").is_empty());
        assert!(parse_list(" , ,").is_empty());
    }
}
