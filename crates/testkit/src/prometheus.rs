//! Reading a `/metrics` endpoint the way a Prometheus server would: fetch it over HTTP
//! ([`scrape`]) and check the text exposition format strictly while parsing it ([`parse`]):
//! the line grammar, one `# TYPE` per family before its samples, no duplicate series, counters
//! named `_total`, histogram buckets increasing and cumulative with `+Inf` equal to `_count`.

use std::collections::{HashMap, HashSet};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

/// One sample line.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// The metric name (a histogram's carry `_bucket`, `_sum`, `_count`).
    pub name: String,
    /// Label pairs in line order, values unescaped.
    pub labels: Labels,
    /// The value.
    pub value: f64,
}

/// A parsed, valid exposition.
#[derive(Debug, Default)]
pub struct Exposition {
    /// Every sample, in order.
    pub samples: Vec<Sample>,
    /// Family name → its `# TYPE`.
    pub types: HashMap<String, String>,
}

impl Exposition {
    /// The value of the series `name` with exactly `labels` (in any order).
    pub fn value(&self, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
        self.samples
            .iter()
            .find(|s| {
                s.name == name
                    && s.labels.len() == labels.len()
                    && labels
                        .iter()
                        .all(|(k, v)| s.labels.iter().any(|(l, w)| l == k && w == v))
            })
            .map(|s| s.value)
    }

    /// Like [`value`](Exposition::value), failing the test when the series is missing.
    pub fn get(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        self.value(name, labels)
            .unwrap_or_else(|| panic!("no series {name}{labels:?}"))
    }

    /// The sum over every series of `name`.
    pub fn sum(&self, name: &str) -> f64 {
        self.samples
            .iter()
            .filter(|s| s.name == name)
            .map(|s| s.value)
            .sum()
    }
}

/// `GET path` from `addr` over HTTP/1.0 (blocking; call it off the runtime's workers):
/// the status, the `Content-Type` and the body.
pub fn scrape(addr: SocketAddr, path: &str) -> (u16, String, String) {
    let mut stream = TcpStream::connect(addr).expect("the server accepts");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("a timeout can be set");
    write!(stream, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n").expect("the request is sent");
    let mut response = String::new();
    stream
        .read_to_string(&mut response)
        .expect("a UTF-8 response ending with the connection");
    let (head, body) = response
        .split_once("\r\n\r\n")
        .expect("a response head and body");
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("a status line");
    let content_type = head
        .lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("content-type")
                .then(|| value.trim().to_owned())
        })
        .unwrap_or_default();
    (status, content_type, body.to_owned())
}

/// The `Content-Type` a `/metrics` endpoint answers with (text format 0.0.4).
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Scrapes `path` (blocking) and checks the answer as a Prometheus server would: status 200,
/// the text format's content type, and a body [`parse`] accepts.
pub fn scrape_valid(addr: SocketAddr, path: &str) -> Exposition {
    let (status, content_type, body) = scrape(addr, path);
    assert_eq!(status, 200, "{body}");
    assert_eq!(content_type, CONTENT_TYPE);
    parse(&body).unwrap_or_else(|e| panic!("{e}\n{body}"))
}

/// The first valid scrape of `path` (blocking, every 20 ms) for which `done` holds: counters
/// settle as the server's tasks catch up. Fails the test after `timeout`, showing the last.
pub fn scrape_until(
    addr: SocketAddr,
    path: &str,
    timeout: Duration,
    done: impl Fn(&Exposition) -> bool,
) -> Exposition {
    let deadline = std::time::Instant::now() + timeout;
    loop {
        let scraped = scrape_valid(addr, path);
        if done(&scraped) {
            return scraped;
        }
        assert!(std::time::Instant::now() < deadline, "{scraped:#?}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn is_metric_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

fn is_label_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn parse_value(text: &str) -> Result<f64, String> {
    match text {
        "+Inf" => Ok(f64::INFINITY),
        "-Inf" => Ok(f64::NEG_INFINITY),
        "NaN" => Ok(f64::NAN),
        _ if text.starts_with(|c: char| c.is_ascii_digit() || c == '-' || c == '.') => {
            text.parse().map_err(|_| format!("bad value {text:?}"))
        }
        _ => Err(format!("bad value {text:?}")),
    }
}

/// Label pairs, values unescaped.
type Labels = Vec<(String, String)>;

/// `{a="x",b="y"}` (after the name) → its pairs and the rest of the line.
fn parse_labels(text: &str) -> Result<(Labels, &str), String> {
    let mut labels = Vec::new();
    let mut rest = &text[1..];
    loop {
        if let Some(after) = rest.strip_prefix('}') {
            return Ok((labels, after));
        }
        if !labels.is_empty() {
            rest = rest.strip_prefix(',').ok_or("labels not comma-separated")?;
        }
        let (name, after) = rest.split_once("=\"").ok_or("label without =\"")?;
        if !is_label_name(name) {
            return Err(format!("bad label name {name:?}"));
        }
        let mut value = String::new();
        let mut chars = after.char_indices();
        let end = loop {
            match chars.next().ok_or("unterminated label value")? {
                (i, '"') => break i,
                (_, '\\') => match chars.next().ok_or("dangling escape")?.1 {
                    '\\' => value.push('\\'),
                    '"' => value.push('"'),
                    'n' => value.push('\n'),
                    c => return Err(format!("bad escape \\{c}")),
                },
                (_, c) => value.push(c),
            }
        };
        if labels.iter().any(|(n, _)| n == name) {
            return Err(format!("label {name} twice"));
        }
        labels.push((name.to_owned(), value));
        rest = &after[end + 1..];
    }
}

fn parse_sample(line: &str) -> Result<Sample, String> {
    let name_end = line.find(['{', ' ']).ok_or("no value")?;
    let name = &line[..name_end];
    if !is_metric_name(name) {
        return Err(format!("bad metric name {name:?}"));
    }
    let (labels, rest) = if line[name_end..].starts_with('{') {
        parse_labels(&line[name_end..])?
    } else {
        (Vec::new(), &line[name_end..])
    };
    let value = rest.strip_prefix(' ').ok_or("no space before the value")?;
    // No timestamps: this server never writes them.
    Ok(Sample {
        name: name.to_owned(),
        labels,
        value: parse_value(value)?,
    })
}

/// The family a sample belongs to: a histogram's suffixed series belong to their base name.
fn family_of<'a>(name: &'a str, types: &HashMap<String, String>) -> &'a str {
    for suffix in ["_bucket", "_sum", "_count"] {
        if let Some(base) = name.strip_suffix(suffix) {
            if types.get(base).is_some_and(|t| t == "histogram") {
                return base;
            }
        }
    }
    name
}

/// Parses `text`, failing on anything a strict reader of the text format would refuse.
pub fn parse(text: &str) -> Result<Exposition, String> {
    let mut exposition = Exposition::default();
    let mut helped = HashSet::new();
    let mut series = HashSet::new();
    if !text.is_empty() && !text.ends_with('\n') {
        return Err("the last line does not end with a newline".into());
    }
    for (number, line) in text.lines().enumerate() {
        let at = |e: String| format!("line {}: {e}: {line:?}", number + 1);
        if let Some(help) = line.strip_prefix("# HELP ") {
            let name = help.split(' ').next().unwrap_or_default();
            if !is_metric_name(name) || !helped.insert(name.to_owned()) {
                return Err(at("bad or repeated HELP".into()));
            }
        } else if let Some(kind) = line.strip_prefix("# TYPE ") {
            let (name, kind) = kind.split_once(' ').ok_or_else(|| at("no type".into()))?;
            let known = ["counter", "gauge", "histogram", "summary", "untyped"];
            if !is_metric_name(name) || !known.contains(&kind) {
                return Err(at("bad TYPE".into()));
            }
            if kind == "counter" && !name.ends_with("_total") {
                return Err(at("a counter's name ends with _total".into()));
            }
            let seen = |s: &Sample| {
                s.name
                    .strip_prefix(name)
                    .is_some_and(|rest| ["", "_bucket", "_sum", "_count"].contains(&rest))
            };
            if exposition.samples.iter().any(seen)
                || exposition
                    .types
                    .insert(name.to_owned(), kind.to_owned())
                    .is_some()
            {
                return Err(at("TYPE after its samples, or twice".into()));
            }
        } else if line.starts_with('#') || line.is_empty() {
            return Err(at("stray line".into()));
        } else {
            let sample = parse_sample(line).map_err(at)?;
            let family = family_of(&sample.name, &exposition.types);
            if !exposition.types.contains_key(family) {
                return Err(at(format!("sample before the TYPE of {family}")));
            }
            let mut key = sample.labels.clone();
            key.sort();
            if !series.insert(format!("{}{key:?}", sample.name)) {
                return Err(at("duplicate series".into()));
            }
            exposition.samples.push(sample);
        }
    }
    check_histograms(&exposition)?;
    Ok(exposition)
}

fn check_histograms(exposition: &Exposition) -> Result<(), String> {
    for (name, _) in exposition.types.iter().filter(|(_, t)| *t == "histogram") {
        let bucket = format!("{name}_bucket");
        let buckets: Vec<(f64, f64)> = exposition
            .samples
            .iter()
            .filter(|s| s.name == bucket)
            .map(|s| {
                let le = s.labels.iter().find(|(l, _)| l == "le").map(|(_, v)| v);
                let le = le.ok_or(format!("{name}: a bucket without le"))?;
                Ok((parse_value(le)?, s.value))
            })
            .collect::<Result<_, String>>()?;
        let increasing = buckets
            .windows(2)
            .all(|w| w[0].0 < w[1].0 && w[0].1 <= w[1].1);
        if !increasing {
            return Err(format!("{name}: buckets not increasing and cumulative"));
        }
        let inf = buckets.last().filter(|b| b.0 == f64::INFINITY);
        let count = exposition.value(&format!("{name}_count"), &[]);
        let sum = exposition.value(&format!("{name}_sum"), &[]);
        match (inf, count, sum) {
            (Some(inf), Some(count), Some(_)) if inf.1 == count => {}
            _ => {
                return Err(format!(
                    "{name}: no +Inf bucket equal to _count, or no _sum"
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_valid_exposition_parses_with_unescaped_labels() {
        let text = "# HELP a_total Things.\n# TYPE a_total counter\n\
                    a_total{ns=\"/x\\\"y\\\\\",t=\"p\"} 3\n\
                    # TYPE h histogram\nh_bucket{le=\"0.5\"} 1\nh_bucket{le=\"+Inf\"} 2\n\
                    h_sum 0.7\nh_count 2\n";
        let parsed = parse(text).unwrap();
        assert_eq!(parsed.get("a_total", &[("t", "p"), ("ns", "/x\"y\\")]), 3.0);
        assert_eq!(parsed.get("h_count", &[]), 2.0);
        assert_eq!(parsed.sum("h_bucket"), 3.0);
    }

    #[test]
    fn what_a_strict_reader_refuses_is_refused() {
        for bad in [
            "a_total 1\n",
            "# TYPE a counter\na 1\n",
            "# TYPE a_total counter\na_total 1\na_total 2\n",
            "# TYPE a gauge\na{b=\"c} 1\n",
            "# TYPE a gauge\na{1b=\"c\"} 1\n",
            "# TYPE a gauge\na one\n",
            "# TYPE a gauge\na 1",
            "# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_sum 0\nh_count 1\n",
            "# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 1\nh_sum 0\nh_count 2\n",
            "# TYPE a gauge\n\na 1\n",
        ] {
            assert!(parse(bad).is_err(), "accepted {bad:?}");
        }
    }
}
