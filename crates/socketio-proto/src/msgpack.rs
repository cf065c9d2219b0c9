//! The parser of npm `socket.io-msgpack-parser`: each packet is one binary message, a
//! MessagePack map `{type, data, nsp, id?}`, binary data inline.
//!
//! Packets keep one representation whichever parser the connection uses (JSON text with
//! binary placeholders and attachments), so handlers and broadcasts do not care: this module
//! transcodes at the edges. MessagePack `bin` values become attachments, placeholders become
//! `bin` again.

use bytes::Bytes;
use duplex_engineio_proto::Utf8Bytes;
use rmpv::Value;
use serde_json::Value as Json;

use crate::error::Error;
use crate::packet::{Packet, PacketType, check_shape, namespace};

/// Decodes one binary message.
pub fn decode(message: &[u8]) -> Result<Packet, Error> {
    let mut input = message;
    let value = rmpv::decode::read_value(&mut input).map_err(|_| Error::InvalidPayload)?;
    if !input.is_empty() {
        return Err(Error::InvalidPayload);
    }
    let Value::Map(entries) = value else {
        return Err(Error::InvalidPayload);
    };
    let mut kind = None;
    let mut nsp = None;
    let mut id = None;
    let mut data = None;
    for (key, value) in entries {
        match key.as_str() {
            Some("type") => {
                kind = value
                    .as_u64()
                    .and_then(|n| u8::try_from(n).ok())
                    .and_then(|n| PacketType::from_digit(b'0' + n.min(9)))
            }
            Some("nsp") => nsp = value.as_str().map(str::to_owned),
            Some("id") => id = Some(value.as_u64().ok_or(Error::AckIdOutOfRange)?),
            Some("data") => data = Some(value),
            _ => {}
        }
    }
    // socket.io-msgpack-parser knows types 0..=4 only (binary travels inline).
    let kind = kind
        .filter(|k| !matches!(k, PacketType::BinaryEvent | PacketType::BinaryAck))
        .ok_or(Error::UnknownType(b'?'))?;
    let nsp = nsp.ok_or(Error::InvalidPayload)?;
    let mut attachments = Vec::new();
    let data = match data {
        // notepack writes `undefined` (a packet built with `data: undefined`) as an ext value.
        None | Some(Value::Nil | Value::Ext(..)) if kind != PacketType::ConnectError => None,
        Some(value) => {
            let json = to_json(value, &mut attachments);
            let text = serde_json::to_string(&json).map_err(|_| Error::InvalidPayload)?;
            check_shape(kind, &text)?;
            Some(Utf8Bytes::from(text))
        }
        None => return Err(Error::InvalidPayload),
    };
    if data.is_none() && matches!(kind, PacketType::Event | PacketType::Ack) {
        return Err(Error::InvalidPayload);
    }
    Ok(Packet {
        kind,
        nsp: namespace(&nsp),
        id,
        data,
        attachments: attachments.into_iter().map(Bytes::from).collect(),
    })
}

/// notepack's `undefined`: fixext 1, type 0, one zero byte.
fn is_undefined(data: &[u8]) -> bool {
    data == [0]
}

/// Encodes a packet as one binary message.
pub fn encode(packet: &Packet) -> Bytes {
    let mut entries = vec![(Value::from("type"), Value::from(packet.kind.digit() - b'0'))];
    if let Some(data) = &packet.data {
        let json: Json = serde_json::from_str(data).unwrap_or(Json::Null);
        entries.push((Value::from("data"), from_json(json, &packet.attachments)));
    }
    entries.push((Value::from("nsp"), Value::from(packet.nsp.as_str())));
    if let Some(id) = packet.id {
        entries.push((Value::from("id"), Value::from(id)));
    }
    let mut out = Vec::with_capacity(16 + packet.data.as_ref().map_or(0, |d| d.len()));
    // Writing to a Vec cannot fail.
    let _ = rmpv::encode::write_value(&mut out, &Value::Map(entries));
    Bytes::from(out)
}

/// MessagePack to JSON, binary to placeholders.
fn to_json(value: Value, attachments: &mut Vec<Vec<u8>>) -> Json {
    match value {
        // notepack writes `undefined` as fixext 1 of type 0 holding a zero byte; JSON has no
        // undefined: null here, and the key is left out of objects (below), as JSON.stringify
        // does. rmpv cannot tell that marker from a one-byte ArrayBuffer holding 0 (ext 8 of
        // type 0), which is therefore read as undefined too.
        Value::Nil => Json::Null,
        Value::Ext(0, data) if is_undefined(&data) => Json::Null,
        // notepack writes an ArrayBuffer as ext type 0: binary data like a Buffer's `bin`.
        Value::Ext(0, data) => {
            attachments.push(data);
            serde_json::json!({ "_placeholder": true, "num": attachments.len() - 1 })
        }
        Value::Ext(..) => Json::Null,
        Value::Boolean(b) => Json::Bool(b),
        Value::Integer(n) => n
            .as_u64()
            .map(Json::from)
            .or_else(|| n.as_i64().map(Json::from))
            .unwrap_or(Json::Null),
        Value::F32(f) => {
            serde_json::Number::from_f64(f64::from(f)).map_or(Json::Null, Json::Number)
        }
        Value::F64(f) => serde_json::Number::from_f64(f).map_or(Json::Null, Json::Number),
        Value::String(s) => Json::String(s.into_str().unwrap_or_default()),
        Value::Binary(b) => {
            attachments.push(b);
            serde_json::json!({ "_placeholder": true, "num": attachments.len() - 1 })
        }
        Value::Array(items) => {
            Json::Array(items.into_iter().map(|v| to_json(v, attachments)).collect())
        }
        Value::Map(entries) => Json::Object(
            entries
                .into_iter()
                .filter(|(_, v)| !matches!(v, Value::Ext(0, data) if is_undefined(data)))
                .map(|(k, v)| {
                    let key = match k {
                        Value::String(s) => s.into_str().unwrap_or_default(),
                        other => other.to_string(),
                    };
                    (key, to_json(v, attachments))
                })
                .collect(),
        ),
    }
}

/// JSON to MessagePack, placeholders to binary.
fn from_json(json: Json, attachments: &[Bytes]) -> Value {
    match json {
        Json::Null => Value::Nil,
        Json::Bool(b) => Value::Boolean(b),
        Json::Number(n) => n
            .as_u64()
            .map(Value::from)
            .or_else(|| n.as_i64().map(Value::from))
            .unwrap_or_else(|| Value::F64(n.as_f64().unwrap_or(0.0))),
        Json::String(s) => Value::from(s),
        Json::Array(items) => Value::Array(
            items
                .into_iter()
                .map(|v| from_json(v, attachments))
                .collect(),
        ),
        Json::Object(map) => {
            if map.get("_placeholder") == Some(&Json::Bool(true)) {
                if let Some(data) = map
                    .get("num")
                    .and_then(Json::as_u64)
                    .and_then(|n| attachments.get(usize::try_from(n).ok()?))
                {
                    return Value::Binary(data.to_vec());
                }
            }
            Value::Map(
                map.into_iter()
                    .map(|(k, v)| (Value::from(k), from_json(v, attachments)))
                    .collect(),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_binary_inline() {
        let packet = Packet::event(
            "/chat",
            Utf8Bytes::from(r#"["up",{"a":{"_placeholder":true,"num":0}},1.5,-2]"#),
        )
        .with_id(7)
        .with_attachments(vec![Bytes::from_static(&[1, 2, 3])]);
        let bytes = encode(&packet);
        let back = decode(&bytes).unwrap();
        assert_eq!(back, packet);
    }

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    /// Bytes written by socket.io-msgpack-parser 3.0.2 (notepack.io 2.2.0) for the same packets.
    #[test]
    fn reference_vectors() {
        let cases = [
            (
                "84a47479706502a46461746194a2757081a161c403010203cb3ff8000000000000fea36e7370a52f63686174a2696407",
                Packet::event(
                    "/chat",
                    Utf8Bytes::from(r#"["up",{"a":{"_placeholder":true,"num":0}},1.5,-2]"#),
                )
                .with_id(7)
                .with_attachments(vec![Bytes::from_static(&[1, 2, 3])]),
            ),
            (
                "83a47479706500a46461746181a3736964a3616263a36e7370a12f",
                Packet::connect("/", Some(Utf8Bytes::from(r#"{"sid":"abc"}"#))),
            ),
            (
                "83a47479706504a46461746181a76d657373616765b1496e76616c6964206e616d657370616365a36e7370a22f78",
                Packet::connect_error("/x", Utf8Bytes::from(r#"{"message":"Invalid namespace"}"#)),
            ),
            (
                "84a47479706503a46461746190a36e7370a12fa2696401",
                Packet::ack("/", 1, Utf8Bytes::from("[]")),
            ),
        ];
        for (wire, packet) in cases {
            assert_eq!(decode(&hex(wire)).unwrap(), packet, "{wire}");
            assert_eq!(encode(&packet).to_vec(), hex(wire), "{wire}");
        }
    }

    /// `{type: 0, data: undefined, nsp: "/nope"}` as socket.io-client writes a CONNECT without
    /// auth through socket.io-msgpack-parser.
    #[test]
    fn undefined_data_is_no_data() {
        let packet = decode(&hex("83a47479706500a464617461d40000a36e7370a52f6e6f7065")).unwrap();
        assert_eq!(packet, Packet::connect("/nope", None));
    }

    /// Node socket.io's CONNECT answer without recovery, `{sid, pid: undefined}`: the
    /// undefined `pid` is left out, as JSON has no undefined.
    #[test]
    fn undefined_fields_are_left_out() {
        let bytes = hex(concat!(
            "83a47479706500a46461746182a3736964b4",
            "79686c50544732517a4d4d696b37736f41414141",
            "a3706964d40000a36e7370a12f"
        ));
        let packet = decode(&bytes).unwrap();
        assert_eq!(
            packet.data.as_deref(),
            Some(r#"{"sid":"yhlPTG2QzMMik7soAAAA"}"#)
        );
        assert!(packet.attachments.is_empty());
        // Inside an array it is null, as JSON.stringify writes it.
        let event = decode(&hex("83a47479706502a46461746192a161d40000a36e7370a12f")).unwrap();
        assert_eq!(event.data.as_deref(), Some(r#"["a",null]"#));
    }

    #[test]
    fn refuses_garbage() {
        assert!(decode(&[0xc1]).is_err());
        assert!(decode(&[0x90]).is_err());
        let mut out = Vec::new();
        rmpv::encode::write_value(
            &mut out,
            &Value::Map(vec![
                (Value::from("type"), Value::from(2)),
                (Value::from("nsp"), Value::from("/")),
            ]),
        )
        .unwrap();
        assert_eq!(decode(&out), Err(Error::InvalidPayload));
    }
}
