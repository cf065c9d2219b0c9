//! One `permessage-deflate` element of an offer or response, checked against the
//! parameter rules of RFC 7692 §7.1 and turned into typed values.

use crate::deflate::header::Extension;

/// The registered extension name (RFC 7692 §6).
pub(crate) const NAME: &str = "permessage-deflate";

/// The parameters one `permessage-deflate` element carries, each checked for
/// syntax only (what they mean depends on the side reading them).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Element {
    pub(crate) server_no_context_takeover: bool,
    pub(crate) client_no_context_takeover: bool,
    pub(crate) server_max_window_bits: Option<u8>,
    /// `Some(None)`: present without a value (only legal in an offer).
    pub(crate) client_max_window_bits: Option<Option<u8>>,
}

/// Which message the element came from: the rules for `client_max_window_bits` differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Side {
    Offer,
    Response,
}

impl Element {
    /// Reads the parameters of a `permessage-deflate` element; any unknown or
    /// repeated parameter, or invalid value, is an error (RFC 7692 §7: a server
    /// MUST decline such an offer, a client MUST fail such a response).
    pub(crate) fn parse(extension: &Extension, side: Side) -> Result<Element, String> {
        let mut element = Element::default();
        let mut seen = [false; 4];
        for (name, value) in &extension.params {
            let value = value.as_deref();
            let index = match name.to_ascii_lowercase().as_str() {
                "server_no_context_takeover" => {
                    no_value(name, value)?;
                    element.server_no_context_takeover = true;
                    0
                }
                "client_no_context_takeover" => {
                    no_value(name, value)?;
                    element.client_no_context_takeover = true;
                    1
                }
                "server_max_window_bits" => {
                    // RFC 7692 §7.1.2.1: this parameter always has a value.
                    let value = value.ok_or_else(|| format!("{name} needs a value"))?;
                    element.server_max_window_bits = Some(window_bits(name, value)?);
                    2
                }
                "client_max_window_bits" => {
                    let bits = match (value, side) {
                        (Some(value), _) => Some(window_bits(name, value)?),
                        (None, Side::Offer) => None,
                        // RFC 7692 §7.1.2.2: in a response the parameter MUST have a value.
                        (None, Side::Response) => {
                            return Err(format!("{name} needs a value in a response"));
                        }
                    };
                    element.client_max_window_bits = Some(bits);
                    3
                }
                _ => return Err(format!("unknown parameter {name}")),
            };
            if std::mem::replace(&mut seen[index], true) {
                return Err(format!("duplicate parameter {name}"));
            }
        }
        Ok(element)
    }
}

fn no_value(name: &str, value: Option<&str>) -> Result<(), String> {
    match value {
        None => Ok(()),
        Some(_) => Err(format!("{name} takes no value")),
    }
}

/// RFC 7692 §7.1.2: "a decimal integer value without leading zeros between 8 to
/// 15, inclusive" (after unescaping, for a quoted-string).
fn window_bits(name: &str, value: &str) -> Result<u8, String> {
    let invalid = || format!("invalid {name} value {value:?}");
    if value.starts_with('0') || value.len() > 2 || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid());
    }
    value
        .parse::<u8>()
        .ok()
        .filter(|bits| (8..=15).contains(bits))
        .ok_or_else(invalid)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deflate::header::parse_list;

    fn parse(text: &str, side: Side) -> Result<Element, String> {
        let list = parse_list(text);
        assert_eq!(list.len(), 1);
        Element::parse(list[0].as_ref().expect("well-formed"), side)
    }

    #[test]
    fn window_bits_accepts_8_to_15_without_leading_zeros() {
        for bits in 8..=15u8 {
            assert_eq!(window_bits("w", &bits.to_string()), Ok(bits));
        }
        for bad in ["", "7", "16", "08", "010", "+9", "9a", "255", "256", "-9"] {
            assert!(window_bits("w", bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn parses_every_parameter() {
        let element = parse(
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover; \
             server_max_window_bits=\"9\"; client_max_window_bits",
            Side::Offer,
        );
        assert_eq!(
            element,
            Ok(Element {
                server_no_context_takeover: true,
                client_no_context_takeover: true,
                server_max_window_bits: Some(9),
                client_max_window_bits: Some(None),
            })
        );
    }

    #[test]
    fn rejects_what_rfc_7692_section_7_forbids() {
        for (text, side) in [
            ("permessage-deflate; foo", Side::Offer),
            (
                "permessage-deflate; server_no_context_takeover=1",
                Side::Offer,
            ),
            (
                "permessage-deflate; client_no_context_takeover=\"\"",
                Side::Offer,
            ),
            ("permessage-deflate; server_max_window_bits", Side::Offer),
            ("permessage-deflate; server_max_window_bits=16", Side::Offer),
            ("permessage-deflate; client_max_window_bits=7", Side::Offer),
            ("permessage-deflate; client_max_window_bits", Side::Response),
            (
                "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
                Side::Offer,
            ),
            (
                "permessage-deflate; client_max_window_bits; client_max_window_bits=9",
                Side::Offer,
            ),
            (
                "permessage-deflate; server_max_window_bits=9; server_max_window_bits=9",
                Side::Response,
            ),
        ] {
            assert!(parse(text, side).is_err(), "{text}");
        }
    }
}
