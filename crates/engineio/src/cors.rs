//! Cross-origin resource sharing for the Engine.IO endpoint, with the semantics of the npm
//! `cors` package that socket.io's `cors` option feeds: which origins, credentials, methods
//! and request headers are allowed, and the answer to preflight (`OPTIONS`) requests.

use std::time::Duration;

use http::header::{self, HeaderMap, HeaderValue};

#[derive(Debug, Clone, PartialEq, Eq)]
enum AllowOrigin {
    /// `Access-Control-Allow-Origin: *`.
    Any,
    /// The request's own origin, whatever it is.
    Mirror,
    /// The request's origin when it is one of these, otherwise none.
    List(Vec<String>),
}

/// Which cross-origin requests browsers may make.
///
/// ```
/// use duplex_engineio::Cors;
///
/// let cors = Cors::origins(["https://app.example"]).credentials(true);
/// # let _ = cors;
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cors {
    origin: AllowOrigin,
    credentials: bool,
    methods: String,
    allowed_headers: Option<String>,
    max_age: Option<Duration>,
}

impl Cors {
    fn with(origin: AllowOrigin) -> Cors {
        Cors {
            origin,
            credentials: false,
            methods: "GET,HEAD,PUT,PATCH,POST,DELETE".into(),
            allowed_headers: None,
            max_age: None,
        }
    }

    /// Every origin (`*`). Browsers refuse `*` for requests with credentials: combine
    /// credentials with [`Cors::mirror`] or [`Cors::origins`] instead.
    pub fn any() -> Cors {
        Cors::with(AllowOrigin::Any)
    }

    /// Every origin, by echoing the request's `Origin` (socket.io's `origin: true`).
    pub fn mirror() -> Cors {
        Cors::with(AllowOrigin::Mirror)
    }

    /// Only these origins (exact match of scheme, host and port, e.g. `https://a.example`).
    pub fn origins<I, S>(origins: I) -> Cors
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Cors::with(AllowOrigin::List(
            origins.into_iter().map(Into::into).collect(),
        ))
    }

    /// Whether cookies and HTTP authentication may be sent (`Access-Control-Allow-Credentials`).
    /// Default false.
    pub fn credentials(mut self, allow: bool) -> Self {
        self.credentials = allow;
        self
    }

    /// Methods allowed in preflight answers. Default `GET,HEAD,PUT,PATCH,POST,DELETE`.
    pub fn methods<I, S>(mut self, methods: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.methods = join(methods);
        self
    }

    /// Request headers allowed in preflight answers. Default: whatever the preflight asks for
    /// (`Access-Control-Request-Headers` echoed).
    pub fn allowed_headers<I, S>(mut self, headers: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.allowed_headers = Some(join(headers));
        self
    }

    /// How long browsers may cache a preflight answer (`Access-Control-Max-Age`). Default none.
    pub fn max_age(mut self, age: Duration) -> Self {
        self.max_age = Some(age);
        self
    }

    /// Adds the headers every answer carries (preflight or not).
    pub(crate) fn apply(&self, request: &HeaderMap, response: &mut HeaderMap) {
        let origin = request.get(header::ORIGIN);
        match &self.origin {
            AllowOrigin::Any => {
                response.insert(
                    header::ACCESS_CONTROL_ALLOW_ORIGIN,
                    HeaderValue::from_static("*"),
                );
            }
            AllowOrigin::Mirror => {
                if let Some(origin) = origin {
                    response.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin.clone());
                }
                response.append(header::VARY, HeaderValue::from_static("Origin"));
            }
            AllowOrigin::List(list) => {
                if let Some(origin) =
                    origin.filter(|o| list.iter().any(|a| a.as_bytes() == o.as_bytes()))
                {
                    response.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin.clone());
                }
                response.append(header::VARY, HeaderValue::from_static("Origin"));
            }
        }
        if self.credentials {
            response.insert(
                header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
                HeaderValue::from_static("true"),
            );
        }
    }

    /// Adds the preflight-only headers (the caller answers 204 with an empty body).
    pub(crate) fn apply_preflight(&self, request: &HeaderMap, response: &mut HeaderMap) {
        self.apply(request, response);
        if let Ok(methods) = HeaderValue::from_str(&self.methods) {
            response.insert(header::ACCESS_CONTROL_ALLOW_METHODS, methods);
        }
        match &self.allowed_headers {
            Some(list) => {
                if let Ok(list) = HeaderValue::from_str(list) {
                    response.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, list);
                }
            }
            None => {
                if let Some(asked) = request.get(header::ACCESS_CONTROL_REQUEST_HEADERS) {
                    response.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, asked.clone());
                    response.append(
                        header::VARY,
                        HeaderValue::from_static("Access-Control-Request-Headers"),
                    );
                }
            }
        }
        if let Some(age) = self.max_age {
            response.insert(
                header::ACCESS_CONTROL_MAX_AGE,
                HeaderValue::from(age.as_secs()),
            );
        }
        response.insert(header::CONTENT_LENGTH, HeaderValue::from_static("0"));
    }
}

fn join<I, S>(items: I) -> String
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    items
        .into_iter()
        .map(|s| s.as_ref().to_owned())
        .collect::<Vec<_>>()
        .join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(origin: &str, asked_headers: Option<&str>) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::ORIGIN, HeaderValue::from_str(origin).unwrap());
        if let Some(a) = asked_headers {
            h.insert(
                header::ACCESS_CONTROL_REQUEST_HEADERS,
                HeaderValue::from_str(a).unwrap(),
            );
        }
        h
    }

    #[test]
    fn list_allows_only_listed_origins() {
        let cors = Cors::origins(["http://a.test"]).credentials(true);
        let mut out = HeaderMap::new();
        cors.apply(&request("http://a.test", None), &mut out);
        assert_eq!(out[header::ACCESS_CONTROL_ALLOW_ORIGIN], "http://a.test");
        assert_eq!(out[header::ACCESS_CONTROL_ALLOW_CREDENTIALS], "true");
        assert_eq!(out[header::VARY], "Origin");
        let mut out = HeaderMap::new();
        cors.apply(&request("http://evil.test", None), &mut out);
        assert!(out.get(header::ACCESS_CONTROL_ALLOW_ORIGIN).is_none());
    }

    #[test]
    fn preflight_echoes_asked_headers_unless_configured() {
        let mut out = HeaderMap::new();
        Cors::mirror().apply_preflight(&request("http://b.test", Some("x-token")), &mut out);
        assert_eq!(out[header::ACCESS_CONTROL_ALLOW_ORIGIN], "http://b.test");
        assert_eq!(out[header::ACCESS_CONTROL_ALLOW_HEADERS], "x-token");
        assert_eq!(
            out[header::ACCESS_CONTROL_ALLOW_METHODS],
            "GET,HEAD,PUT,PATCH,POST,DELETE"
        );
        let mut out = HeaderMap::new();
        Cors::any()
            .allowed_headers(["content-type"])
            .methods(["GET", "POST"])
            .max_age(Duration::from_secs(60))
            .apply_preflight(&request("http://b.test", Some("x-token")), &mut out);
        assert_eq!(out[header::ACCESS_CONTROL_ALLOW_ORIGIN], "*");
        assert_eq!(out[header::ACCESS_CONTROL_ALLOW_HEADERS], "content-type");
        assert_eq!(out[header::ACCESS_CONTROL_ALLOW_METHODS], "GET,POST");
        assert_eq!(out[header::ACCESS_CONTROL_MAX_AGE], "60");
    }
}
