//! Checks on a packet's raw JSON without building a tree: its shape (what the packet type
//! requires), and its binary placeholders (`{"_placeholder":true,"num":N}`, anywhere).
//!
//! The data stays raw text: handlers deserialize it straight into their own types, and an
//! echo passes it through byte for byte (key order and number formatting included).

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// Event names the protocol reserves (socket.io-parser refuses them in events).
pub const RESERVED_EVENTS: [&str; 6] = [
    "connect",
    "connect_error",
    "disconnect",
    "disconnecting",
    "newListener",
    "removeListener",
];

/// The outline of a JSON value, as the packet rules need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Shape {
    Object,
    String,
    /// An array and the kind of its first element.
    Array(First),
    Other,
}

/// The first element of an array.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum First {
    Absent,
    Number,
    String { reserved: bool },
    Other,
}

/// The shape of `json`, which must be one complete JSON value.
pub(crate) fn shape(json: &str) -> Result<Shape, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_str(json);
    let shape = de.deserialize_any(ShapeVisitor)?;
    de.end()?;
    Ok(shape)
}

struct ShapeVisitor;

impl<'de> Visitor<'de> for ShapeVisitor {
    type Value = Shape;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Shape, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Shape::Object)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Shape, A::Error> {
        let first = seq
            .next_element::<FirstElement>()?
            .map_or(First::Absent, |f| f.0);
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Shape::Array(first))
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Shape, E> {
        Ok(Shape::String)
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Shape, E> {
        Ok(Shape::Other)
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Shape, E> {
        Ok(Shape::Other)
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Shape, E> {
        Ok(Shape::Other)
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Shape, E> {
        Ok(Shape::Other)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Shape, E> {
        Ok(Shape::Other)
    }
}

struct FirstElement(First);

impl<'de> de::Deserialize<'de> for FirstElement {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = First;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<First, E> {
                Ok(First::String {
                    reserved: RESERVED_EVENTS.contains(&s),
                })
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<First, E> {
                Ok(First::Number)
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<First, E> {
                Ok(First::Number)
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<First, E> {
                Ok(First::Number)
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<First, E> {
                Ok(First::Other)
            }
            fn visit_unit<E: de::Error>(self) -> Result<First, E> {
                Ok(First::Other)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<First, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(First::Other)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<First, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(First::Other)
            }
        }
        d.deserialize_any(V).map(FirstElement)
    }
}

/// Checks every placeholder in `json` refers to one of `attachments` attachments, as
/// socket.io-parser does when it puts the binary parts back. Returns how many placeholders
/// there are.
pub(crate) fn check_placeholders(
    json: &str,
    attachments: usize,
) -> Result<usize, PlaceholderError> {
    let mut de = serde_json::Deserializer::from_str(json);
    let mut walk = Walk {
        attachments,
        found: 0,
        bad: false,
    };
    (&mut walk)
        .deserialize(&mut de)
        .and_then(|_| de.end())
        .map_err(|_| PlaceholderError::NotJson)?;
    if walk.bad {
        return Err(PlaceholderError::OutOfRange);
    }
    Ok(walk.found)
}

/// Why placeholders do not check out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PlaceholderError {
    NotJson,
    OutOfRange,
}

struct Walk {
    attachments: usize,
    found: usize,
    bad: bool,
}

/// What a walked value was, for the object that contains it.
enum Leaf {
    True,
    Number(f64),
    Other,
}

impl<'de> DeserializeSeed<'de> for &mut Walk {
    type Value = Leaf;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Leaf, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for &mut Walk {
    type Value = Leaf;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E: de::Error>(self, b: bool) -> Result<Leaf, E> {
        Ok(if b { Leaf::True } else { Leaf::Other })
    }

    fn visit_i64<E: de::Error>(self, n: i64) -> Result<Leaf, E> {
        Ok(Leaf::Number(n as f64))
    }

    fn visit_u64<E: de::Error>(self, n: u64) -> Result<Leaf, E> {
        Ok(Leaf::Number(n as f64))
    }

    fn visit_f64<E: de::Error>(self, n: f64) -> Result<Leaf, E> {
        Ok(Leaf::Number(n))
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Leaf, E> {
        Ok(Leaf::Other)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Leaf, E> {
        Ok(Leaf::Other)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Leaf, A::Error> {
        while seq.next_element_seed(&mut *self)?.is_some() {}
        Ok(Leaf::Other)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Leaf, A::Error> {
        let mut placeholder = false;
        let mut num = None;
        while let Some(key) = map.next_key::<Key>()? {
            let leaf = map.next_value_seed(&mut *self)?;
            match (key, leaf) {
                (Key::Placeholder, Leaf::True) => placeholder = true,
                (Key::Num, Leaf::Number(n)) => num = Some(n),
                _ => {}
            }
        }
        if placeholder {
            self.found += 1;
            // socket.io-parser: `num` must be a number in 0..attachments.
            let valid =
                num.is_some_and(|n| n >= 0.0 && n.fract() == 0.0 && n < self.attachments as f64);
            if !valid {
                self.bad = true;
            }
        }
        Ok(Leaf::Other)
    }
}

/// An object key, told apart without allocating.
enum Key {
    Placeholder,
    Num,
    Other,
}

impl<'de> de::Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Key;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object key")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Key, E> {
                Ok(match s {
                    "_placeholder" => Key::Placeholder,
                    "num" => Key::Num,
                    _ => Key::Other,
                })
            }
        }
        d.deserialize_str(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        assert_eq!(shape(r#"{"a":[1,{"b":2}]}"#).unwrap(), Shape::Object);
        assert_eq!(shape(r#""x""#).unwrap(), Shape::String);
        assert_eq!(shape("[]").unwrap(), Shape::Array(First::Absent));
        assert_eq!(
            shape(r#"["ev",1]"#).unwrap(),
            Shape::Array(First::String { reserved: false })
        );
        assert_eq!(
            shape(r#"["connect"]"#).unwrap(),
            Shape::Array(First::String { reserved: true })
        );
        assert_eq!(shape("[1.5]").unwrap(), Shape::Array(First::Number));
        assert_eq!(shape("[[1]]").unwrap(), Shape::Array(First::Other));
        assert_eq!(shape("null").unwrap(), Shape::Other);
        assert!(shape("[1] x").is_err());
        assert!(shape("[1").is_err());
        assert!(shape("").is_err());
    }

    #[test]
    fn placeholders_anywhere() {
        let json = r#"["ev",{"a":[{"_placeholder":true,"num":1}]},{"_placeholder":true,"num":0}]"#;
        assert_eq!(check_placeholders(json, 2), Ok(2));
        assert_eq!(
            check_placeholders(json, 1),
            Err(PlaceholderError::OutOfRange)
        );
        let bad = r#"[{"_placeholder":true,"num":"0"}]"#;
        assert_eq!(
            check_placeholders(bad, 1),
            Err(PlaceholderError::OutOfRange)
        );
        let not = r#"[{"_placeholder":false,"num":7}]"#;
        assert_eq!(check_placeholders(not, 0), Ok(0));
        assert_eq!(check_placeholders("[", 0), Err(PlaceholderError::NotJson));
    }
}
