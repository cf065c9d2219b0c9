//! Sockets and dates as the Admin UI reads them: the JSON shapes `@socket.io/admin-ui`'s
//! server part sends.

use std::time::{SystemTime, UNIX_EPOCH};

use serde::Serialize;
use serde_json::{Map, Value};

use crate::Socket;

/// A socket as the UI lists it (`SerializedSocket` in the package's typings).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SerializedSocket {
    id: String,
    /// The connection's id, cut to 12 characters as the package does: the UI groups a
    /// connection's sockets (one per namespace) under it.
    client_id: String,
    transport: &'static str,
    nsp: String,
    data: Value,
    handshake: SerializedHandshake,
    rooms: Vec<String>,
}

/// The part of socket.io's `socket.handshake` the package sends (never `auth`: it may hold
/// credentials).
#[derive(Debug, Serialize)]
struct SerializedHandshake {
    address: String,
    headers: Map<String, Value>,
    query: Map<String, Value>,
    /// Milliseconds since the epoch.
    issued: u64,
    secure: bool,
    /// JavaScript's `Date.prototype.toString` of the same instant.
    time: String,
    url: String,
    /// Whether the request came from another origin (it had an `Origin` header).
    xdomain: bool,
}

impl SerializedSocket {
    pub(crate) fn of(socket: &Socket) -> SerializedSocket {
        let request = socket.handshake().request();
        let headers = request.headers();
        let mut header_map = Map::new();
        for name in headers.keys() {
            let values: Vec<&str> = headers
                .get_all(name)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .collect();
            header_map.insert(name.as_str().to_owned(), Value::from(values.join(", ")));
        }
        let forwarded = ["cf-connecting-ip", "x-forwarded-for"]
            .iter()
            .find_map(|name| headers.get(*name).and_then(|v| v.to_str().ok()));
        let address = match (forwarded, request.remote_addr()) {
            (Some(forwarded), _) => forwarded.to_owned(),
            (None, Some(addr)) => addr.ip().to_string(),
            (None, None) => String::new(),
        };
        let time = socket.handshake().time();
        let conn_id = socket.conn.id().to_string();
        SerializedSocket {
            id: socket.id().to_string(),
            client_id: conn_id.chars().take(12).collect(),
            transport: socket.transport().as_str(),
            nsp: socket.ns().to_owned(),
            data: socket.data_raw(),
            handshake: SerializedHandshake {
                address,
                headers: header_map,
                query: query_object(request.uri().query().unwrap_or("")),
                issued: millis(time),
                secure: request.uri().scheme_str() == Some("https"),
                time: js_date_string(time),
                url: request
                    .uri()
                    .path_and_query()
                    .map(|p| p.as_str().to_owned())
                    .unwrap_or_default(),
                xdomain: headers.contains_key("origin"),
            },
            rooms: socket.rooms().into_iter().map(|r| r.into_owned()).collect(),
        }
    }
}

/// A query string as Node's `querystring.parse` gives it: names to values, percent-decoded,
/// a repeated name to an array of its values.
fn query_object(query: &str) -> Map<String, Value> {
    let mut object = Map::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let (name, value) = (percent_decode(name), Value::from(percent_decode(value)));
        match object.get_mut(&name) {
            Some(Value::Array(values)) => values.push(value),
            Some(first) => *first = Value::Array(vec![first.take(), value]),
            None => {
                object.insert(name, value);
            }
        }
    }
    object
}

/// `%XX` escapes and `+` (a space, in a form-encoded query) decoded; a malformed escape stays
/// as it is, as `querystring.unescape` leaves it.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = (bytes[i] == b'%')
            .then(|| bytes.get(i + 1..i + 3))
            .flatten()
            .and_then(|hex| std::str::from_utf8(hex).ok())
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match (bytes[i], escaped) {
            (_, Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (b'+', None) => {
                out.push(b' ');
                i += 1;
            }
            (byte, None) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Milliseconds since the Unix epoch (0 before it).
pub(crate) fn millis(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// A UTC calendar date and time of day.
struct Civil {
    year: i64,
    month: u32,
    day: u32,
    weekday: usize,
    hour: u64,
    minute: u64,
    second: u64,
    millis: u64,
}

fn civil(time: SystemTime) -> Civil {
    let ms = millis(time);
    let days = i64::try_from(ms / 86_400_000).unwrap_or(0);
    let in_day = ms % 86_400_000;
    // Days to a proleptic Gregorian date, counting in 400-year eras of 146,097 days that
    // start on March 1st (so the leap day ends a year).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = u32::try_from(doy - (153 * mp + 2) / 5 + 1).unwrap_or(1);
    let month = u32::try_from(if mp < 10 { mp + 3 } else { mp - 9 }).unwrap_or(1);
    let year = yoe + era * 400 + i64::from(month <= 2);
    Civil {
        year,
        month,
        day,
        // 1970-01-01 was a Thursday.
        weekday: usize::try_from((days + 4).rem_euclid(7)).unwrap_or(0),
        hour: in_day / 3_600_000,
        minute: in_day / 60_000 % 60,
        second: in_day / 1000 % 60,
        millis: in_day % 1000,
    }
}

/// JSON's form of a JavaScript `Date` (`toISOString`), in which the package's events carry
/// their timestamps: `2024-05-01T12:00:00.000Z`.
pub(crate) fn iso_date(time: SystemTime) -> String {
    let c = civil(time);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        c.year, c.month, c.day, c.hour, c.minute, c.second, c.millis
    )
}

const WEEKDAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// `Date.prototype.toString` in UTC, the form of socket.io's `handshake.time`:
/// `Wed May 01 2024 12:00:00 GMT+0000 (Coordinated Universal Time)`.
fn js_date_string(time: SystemTime) -> String {
    let c = civil(time);
    let month = MONTHS
        .get(usize::try_from(c.month).unwrap_or(1).saturating_sub(1))
        .copied()
        .unwrap_or("Jan");
    format!(
        "{} {month} {:02} {:04} {:02}:{:02}:{:02} GMT+0000 (Coordinated Universal Time)",
        WEEKDAYS[c.weekday], c.day, c.year, c.hour, c.minute, c.second
    )
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn at(ms: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_millis(ms)
    }

    #[test]
    fn dates_match_javascript() {
        // Values from node: new Date(ms).toISOString() / .toString() with TZ=UTC.
        assert_eq!(iso_date(at(0)), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso_date(at(951_782_400_123)), "2000-02-29T00:00:00.123Z");
        assert_eq!(iso_date(at(1_795_883_045_678)), "2026-11-28T16:24:05.678Z");
        assert_eq!(
            js_date_string(at(1_795_883_045_678)),
            "Sat Nov 28 2026 16:24:05 GMT+0000 (Coordinated Universal Time)"
        );
        assert_eq!(
            js_date_string(at(0)),
            "Thu Jan 01 1970 00:00:00 GMT+0000 (Coordinated Universal Time)"
        );
    }

    #[test]
    fn queries_decode_as_querystring_parse() {
        let q = query_object("EIO=4&transport=polling&a=%C3%A9+b&a=2&bad=%zz&flag");
        assert_eq!(
            Value::Object(q).to_string(),
            r#"{"EIO":"4","transport":"polling","a":["é b","2"],"bad":"%zz","flag":""}"#
        );
    }
}
