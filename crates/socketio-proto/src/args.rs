//! Event arguments as JSON: encoding a serde value as an event's (or ack's) argument array,
//! and decoding arguments into serde types — with binary attachments in both directions.
//!
//! A tuple is spread into several arguments (`emit("move", &(x, y))` sends `["move",x,y]`), `()`
//! means none, and any other value is one argument. Decoding mirrors it: one argument is
//! deserialized as the target type itself, several (or none) as a sequence (a tuple, a
//! `Vec`, ...).

use std::borrow::Cow;
use std::cell::RefCell;
use std::io;

use bytes::Bytes;
use duplex_engineio_proto::Utf8Bytes;
use serde::de::DeserializeOwned;
use serde::de::value::{SeqDeserializer, UnitDeserializer};
use serde::ser::{Serialize, SerializeTuple, Serializer};
use serde_json::ser::{CompactFormatter, Compound};
use serde_json::value::RawValue;

use crate::binary;

/// Encodes `["event", ...args]` and collects the binary attachments.
pub fn encode_event<T: Serialize + ?Sized>(
    event: &str,
    args: &T,
) -> Result<(Utf8Bytes, Vec<Bytes>), serde_json::Error> {
    encode(Some(event), args)
}

/// Encodes `[...args]` (an ack's data) and collects the binary attachments.
pub fn encode_ack<T: Serialize + ?Sized>(
    args: &T,
) -> Result<(Utf8Bytes, Vec<Bytes>), serde_json::Error> {
    encode(None, args)
}

fn encode<T: Serialize + ?Sized>(
    event: Option<&str>,
    args: &T,
) -> Result<(Utf8Bytes, Vec<Bytes>), serde_json::Error> {
    let out = RefCell::new(Vec::with_capacity(64));
    out.borrow_mut().push(b'[');
    let mut first = true;
    if let Some(event) = event {
        serde_json::to_writer(Shared(&out), event)?;
        first = false;
    }
    let (result, attachments) = binary::collecting(|| {
        let mut spread = SpreadSerializer {
            json: serde_json::Serializer::new(Shared(&out)),
            out: &out,
            first,
        };
        args.serialize(&mut spread)
    });
    result?;
    let mut out = out.into_inner();
    out.push(b']');
    // serde_json writes UTF-8 only.
    let text = Utf8Bytes::try_from(out).map_err(|_| serde::ser::Error::custom("not UTF-8"))?;
    Ok((text, attachments))
}

/// Decodes an event's arguments (after its name) into `T`.
pub fn decode_event_args<T: DeserializeOwned>(
    data: &str,
    attachments: &[Bytes],
) -> Result<T, serde_json::Error> {
    decode(data, 1, attachments)
}

/// Decodes an ack's arguments into `T`.
pub fn decode_ack_args<T: DeserializeOwned>(
    data: &str,
    attachments: &[Bytes],
) -> Result<T, serde_json::Error> {
    decode(data, 0, attachments)
}

fn decode<T: DeserializeOwned>(
    data: &str,
    skip: usize,
    attachments: &[Bytes],
) -> Result<T, serde_json::Error> {
    let all: Vec<&RawValue> = serde_json::from_str(data)?;
    let args = all.get(skip..).unwrap_or_default();
    binary::resolving(attachments, || match args {
        // One argument: the value itself, or a one-element sequence (`(x,)`).
        [one] => T::deserialize(*one)
            .or_else(|e| T::deserialize(SeqDeserializer::new(args.iter().copied())).map_err(|_| e)),
        // No arguments: an empty sequence, or `()`.
        [] => T::deserialize(SeqDeserializer::new(args.iter().copied())).or_else(|e| {
            T::deserialize(UnitDeserializer::<serde_json::Error>::new()).map_err(|_| e)
        }),
        many => T::deserialize(SeqDeserializer::new(many.iter().copied())),
    })
}

/// The arguments of an event as raw JSON, without the name and the brackets: `1,{"a":2}` for
/// `["ev",1,{"a":2}]`; `skip` is 1 for events (the name), 0 for acks. Whitespace between
/// tokens is dropped (JavaScript peers re-serialize compactly); everything else is kept as it
/// came.
pub fn raw_args(data: &str, skip: usize) -> Option<Cow<'_, str>> {
    let all: Vec<&RawValue> = serde_json::from_str(data).ok()?;
    let first = all.get(skip)?;
    let last = all.last()?;
    let offset = |raw: &RawValue| raw.get().as_ptr() as usize - data.as_ptr() as usize;
    let start = offset(first);
    let end = offset(last) + last.get().len();
    data.get(start..end).map(compact)
}

/// `json` without whitespace outside strings (borrowed when there is none).
fn compact(json: &str) -> Cow<'_, str> {
    let is_space = |b: u8| matches!(b, b' ' | b'\n' | b'\r' | b'\t');
    let mut in_string = false;
    let mut escaped = false;
    let mut spaced = false;
    for &b in json.as_bytes() {
        match (in_string, b) {
            (true, _) if escaped => escaped = false,
            (true, b'\\') => escaped = true,
            (_, b'"') => in_string = !in_string,
            (false, b) if is_space(b) => {
                spaced = true;
                break;
            }
            _ => {}
        }
    }
    if !spaced {
        return Cow::Borrowed(json);
    }
    let mut out = String::with_capacity(json.len());
    let (mut in_string, mut escaped) = (false, false);
    for c in json.chars() {
        match (in_string, c) {
            (true, _) if escaped => escaped = false,
            (true, '\\') => escaped = true,
            (_, '"') => in_string = !in_string,
            (false, ' ' | '\n' | '\r' | '\t') => continue,
            _ => {}
        }
        out.push(c);
    }
    Cow::Owned(out)
}

/// Builds `["event",<raw args>]` (or `[<raw args>]` without an event) from arguments taken
/// with [`raw_args`], byte for byte.
pub fn with_raw_args(event: Option<&str>, raw: &str) -> Utf8Bytes {
    let mut out = String::with_capacity(raw.len() + event.map_or(2, |e| e.len() + 5));
    out.push('[');
    if let Some(event) = event {
        out.push_str(&serde_json::to_string(event).unwrap_or_else(|_| "\"\"".into()));
        if !raw.is_empty() {
            out.push(',');
        }
    }
    out.push_str(raw);
    out.push(']');
    Utf8Bytes::from(out)
}

/// The name of an event, from its data `["name", ...]`: the string, or a numeric name's text.
pub fn event_name(data: &str) -> Option<String> {
    struct Name;
    impl<'de> serde::de::Visitor<'de> for Name {
        type Value = Option<String>;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("an event array")
        }
        fn visit_seq<A: serde::de::SeqAccess<'de>>(
            self,
            mut seq: A,
        ) -> Result<Self::Value, A::Error> {
            let first = seq.next_element::<&RawValue>()?;
            while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
            Ok(
                first.and_then(|raw| match serde_json::from_str::<String>(raw.get()) {
                    Ok(name) => Some(name),
                    Err(_) => serde_json::from_str::<f64>(raw.get())
                        .ok()
                        .map(|_| raw.get().to_owned()),
                }),
            )
        }
    }
    use serde::Deserializer as _;
    serde_json::Deserializer::from_str(data)
        .deserialize_seq(Name)
        .ok()
        .flatten()
}

/// Decodes each argument (after `skip` leading elements: 1 for an event's name) into a `T`,
/// always as a list, whatever their number.
pub fn decode_each<T: DeserializeOwned>(
    data: &str,
    skip: usize,
    attachments: &[Bytes],
) -> Result<Vec<T>, serde_json::Error> {
    let all: Vec<&RawValue> = serde_json::from_str(data)?;
    let args = all.get(skip..).unwrap_or_default();
    binary::resolving(attachments, || {
        args.iter().map(|raw| T::deserialize(*raw)).collect()
    })
}

/// Serializes a slice as several arguments (a tuple of its elements).
pub struct Spread<'a, T>(pub &'a [T]);

impl<T: Serialize> Serialize for Spread<'_, T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut tuple = serializer.serialize_tuple(self.0.len())?;
        for item in self.0 {
            tuple.serialize_element(item)?;
        }
        tuple.end()
    }
}

/// Lets serde_json and [`SpreadSerializer`] write to the same buffer, one after the other.
struct Shared<'w>(&'w RefCell<Vec<u8>>);

impl io::Write for Shared<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The top-level serializer: spreads a tuple into arguments, writes anything else as one.
struct SpreadSerializer<'w> {
    json: serde_json::Serializer<Shared<'w>>,
    out: &'w RefCell<Vec<u8>>,
    first: bool,
}

impl SpreadSerializer<'_> {
    fn separator(&mut self) {
        if !self.first {
            self.out.borrow_mut().push(b',');
        }
        self.first = false;
    }
}

type Json<'s, 'w> = Compound<'s, Shared<'w>, CompactFormatter>;

macro_rules! one_argument {
    ($($method:ident($($arg:ident: $ty:ty),*);)*) => {
        $(fn $method(self, $($arg: $ty),*) -> Result<(), serde_json::Error> {
            self.separator();
            (&mut self.json).$method($($arg),*)
        })*
    };
}

impl<'s, 'w> Serializer for &'s mut SpreadSerializer<'w> {
    type Ok = ();
    type Error = serde_json::Error;
    type SerializeSeq = Json<'s, 'w>;
    type SerializeTuple = Arguments<'s, 'w>;
    type SerializeTupleStruct = Json<'s, 'w>;
    type SerializeTupleVariant = Json<'s, 'w>;
    type SerializeMap = Json<'s, 'w>;
    type SerializeStruct = Json<'s, 'w>;
    type SerializeStructVariant = Json<'s, 'w>;

    one_argument! {
        serialize_bool(v: bool);
        serialize_i8(v: i8);
        serialize_i16(v: i16);
        serialize_i32(v: i32);
        serialize_i64(v: i64);
        serialize_i128(v: i128);
        serialize_u8(v: u8);
        serialize_u16(v: u16);
        serialize_u32(v: u32);
        serialize_u64(v: u64);
        serialize_u128(v: u128);
        serialize_f32(v: f32);
        serialize_f64(v: f64);
        serialize_char(v: char);
        serialize_str(v: &str);
        serialize_bytes(v: &[u8]);
        serialize_none();
        serialize_unit_struct(name: &'static str);
        serialize_unit_variant(name: &'static str, index: u32, variant: &'static str);
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), serde_json::Error> {
        value.serialize(self)
    }

    /// `()`: no arguments.
    fn serialize_unit(self) -> Result<(), serde_json::Error> {
        Ok(())
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        value: &T,
    ) -> Result<(), serde_json::Error> {
        self.separator();
        (&mut self.json).serialize_newtype_struct(name, value)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), serde_json::Error> {
        self.separator();
        (&mut self.json).serialize_newtype_variant(name, index, variant, value)
    }

    fn serialize_seq(self, len: Option<usize>) -> Result<Self::SerializeSeq, serde_json::Error> {
        self.separator();
        (&mut self.json).serialize_seq(len)
    }

    fn serialize_tuple(self, _len: usize) -> Result<Arguments<'s, 'w>, serde_json::Error> {
        Ok(Arguments { spread: self })
    }

    fn serialize_tuple_struct(
        self,
        name: &'static str,
        len: usize,
    ) -> Result<Self::SerializeTupleStruct, serde_json::Error> {
        self.separator();
        (&mut self.json).serialize_tuple_struct(name, len)
    }

    fn serialize_tuple_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Self::SerializeTupleVariant, serde_json::Error> {
        self.separator();
        (&mut self.json).serialize_tuple_variant(name, index, variant, len)
    }

    fn serialize_map(self, len: Option<usize>) -> Result<Self::SerializeMap, serde_json::Error> {
        self.separator();
        (&mut self.json).serialize_map(len)
    }

    fn serialize_struct(
        self,
        name: &'static str,
        len: usize,
    ) -> Result<Self::SerializeStruct, serde_json::Error> {
        self.separator();
        (&mut self.json).serialize_struct(name, len)
    }

    fn serialize_struct_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Self::SerializeStructVariant, serde_json::Error> {
        self.separator();
        (&mut self.json).serialize_struct_variant(name, index, variant, len)
    }
}

/// The elements of a top-level tuple, each one argument.
struct Arguments<'s, 'w> {
    spread: &'s mut SpreadSerializer<'w>,
}

impl SerializeTuple for Arguments<'_, '_> {
    type Ok = ();
    type Error = serde_json::Error;

    fn serialize_element<T: Serialize + ?Sized>(
        &mut self,
        value: &T,
    ) -> Result<(), serde_json::Error> {
        self.spread.separator();
        value.serialize(&mut self.spread.json)
    }

    fn end(self) -> Result<(), serde_json::Error> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::binary::Binary;
    use serde::{Deserialize, Serialize};

    fn event<T: Serialize + ?Sized>(args: &T) -> (String, Vec<Bytes>) {
        let (text, attachments) = encode_event("ev", args).unwrap();
        (text.as_str().to_owned(), attachments)
    }

    #[test]
    fn tuples_spread_other_values_do_not() {
        assert_eq!(event(&()).0, r#"["ev"]"#);
        assert_eq!(event(&(1, "a")).0, r#"["ev",1,"a"]"#);
        assert_eq!(event(&(1,)).0, r#"["ev",1]"#);
        assert_eq!(event(&vec![1, 2]).0, r#"["ev",[1,2]]"#);
        assert_eq!(event("x").0, r#"["ev","x"]"#);
        assert_eq!(event(&Some(3)).0, r#"["ev",3]"#);
        #[derive(Serialize)]
        struct Pos {
            x: i32,
            y: i32,
        }
        assert_eq!(event(&Pos { x: 1, y: 2 }).0, r#"["ev",{"x":1,"y":2}]"#);
        assert_eq!(
            event(&(Pos { x: 1, y: 2 }, [3])).0,
            r#"["ev",{"x":1,"y":2},[3]]"#
        );
        assert_eq!(encode_ack(&()).unwrap().0, "[]");
        assert_eq!(encode_ack(&("ok", 2)).unwrap().0, r#"["ok",2]"#);
        assert_eq!(encode_ack("ok").unwrap().0, r#"["ok"]"#);
    }

    #[test]
    fn binary_anywhere_becomes_placeholders_in_order() {
        #[derive(Serialize, Deserialize, Debug, PartialEq)]
        struct Upload {
            name: String,
            parts: Vec<Binary>,
        }
        let upload = Upload {
            name: "f".into(),
            parts: vec![Binary::from(vec![1]), Binary::from(vec![2, 3])],
        };
        let (text, attachments) = event(&(Binary::from(vec![0]), &upload));
        assert_eq!(
            text,
            r#"["ev",{"_placeholder":true,"num":0},{"name":"f","parts":[{"_placeholder":true,"num":1},{"_placeholder":true,"num":2}]}]"#
        );
        assert_eq!(attachments.len(), 3);
        let (first, back): (Binary, Upload) = decode_event_args(&text, &attachments).unwrap();
        assert_eq!(first, Binary::from(vec![0]));
        assert_eq!(back, upload);
        // Outside a packet, Binary is plain bytes.
        assert_eq!(
            serde_json::to_string(&Binary::from(vec![5])).unwrap(),
            "[5]"
        );
    }

    #[test]
    fn raw_arguments_pass_through() {
        let data = r#"["message", {"b":1,"a":[2]} ,3.50,"x"]"#;
        assert_eq!(
            raw_args(data, 1).as_deref(),
            Some(r#"{"b":1,"a":[2]},3.50,"x""#)
        );
        assert_eq!(
            with_raw_args(Some("back"), &raw_args(data, 1).unwrap()),
            r#"["back",{"b":1,"a":[2]},3.50,"x"]"#
        );
        assert_eq!(raw_args(r#"["message"]"#, 1), None);
        assert_eq!(
            raw_args(r#"["m", { "a" : " b \" c " } ]"#, 1).as_deref(),
            Some(r#"{"a":" b \" c "}"#)
        );
        assert_eq!(with_raw_args(Some("e"), ""), r#"["e"]"#);
        assert_eq!(with_raw_args(None, "1,2"), "[1,2]");
        assert_eq!(raw_args("[1,2]", 0).as_deref(), Some("1,2"));
    }

    #[test]
    fn event_names() {
        assert_eq!(
            event_name(r#"["chat message","x"]"#).as_deref(),
            Some("chat message")
        );
        assert_eq!(event_name(r#"["a\"b"]"#).as_deref(), Some("a\"b"));
        assert_eq!(event_name("[12,1]").as_deref(), Some("12"));
        assert_eq!(event_name("[]"), None);
        assert_eq!(event_name("{}"), None);
    }

    #[test]
    fn one_argument_is_the_value_several_are_a_sequence() {
        let one: String = decode_event_args(r#"["ev","x"]"#, &[]).unwrap();
        assert_eq!(one, "x");
        let whole: Vec<u8> = decode_event_args(r#"["ev",[1,2]]"#, &[]).unwrap();
        assert_eq!(whole, [1, 2]);
        let two: (u8, String) = decode_event_args(r#"["ev",1,"y"]"#, &[]).unwrap();
        assert_eq!(two, (1, "y".into()));
        let none: () = decode_event_args(r#"["ev"]"#, &[]).unwrap();
        assert_eq!(none, ());
        let ack: (bool,) = decode_ack_args("[true]", &[]).unwrap();
        assert_eq!(ack, (true,));
        assert!(decode_event_args::<u8>(r#"["ev","x"]"#, &[]).is_err());
        // A placeholder whose attachment is missing.
        let missing = r#"["ev",{"_placeholder":true,"num":3}]"#;
        assert!(decode_event_args::<Binary>(missing, &[]).is_err());
    }
}
