//! [`HttpConn`]: one kept-alive HTTP/1.1 connection for polling requests (over the stream of
//! the [`Dialer`]: TLS, a proxy tunnel), opened again when the server has closed it (Node
//! closes idle ones after 5 s).

use bytes::Bytes;
use http::{HeaderMap, Method, StatusCode, header};
use http_body_util::{BodyExt, Full, Limited};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;

use super::ConnectError;
use super::dial::{DialError, Dialer};
use super::endpoint::Endpoint;

/// Most bytes of a refusal's body kept in an error.
const MAX_BODY_EXCERPT: usize = 200;

/// Why a polling request failed.
#[derive(Debug)]
pub(crate) enum RequestError {
    /// No stream to the server (TCP, the proxy's tunnel, TLS).
    Dial(DialError),
    /// The request or its response failed on the connection, or the body was too large.
    Http(String),
    /// An answer other than 200.
    Status(StatusCode, Bytes),
}

impl From<RequestError> for ConnectError {
    fn from(error: RequestError) -> ConnectError {
        match error {
            RequestError::Dial(error) => error.into(),
            RequestError::Http(error) => ConnectError::Http(error),
            RequestError::Status(status, body) => ConnectError::Status {
                status: status.as_u16(),
                body: String::from_utf8_lossy(&body[..body.len().min(MAX_BODY_EXCERPT)])
                    .into_owned(),
            },
        }
    }
}

/// One HTTP/1.1 connection to the server, as a browser keeps one per request in flight.
pub(crate) struct HttpConn {
    endpoint: Endpoint,
    dialer: Dialer,
    headers: HeaderMap,
    max_body: usize,
    sender: Option<SendRequest<Full<Bytes>>>,
}

impl HttpConn {
    /// A connection to `endpoint` by `dialer` (opened at the first request) sending `headers`
    /// with every request and accepting bodies up to `max_body` bytes.
    pub(crate) fn new(
        endpoint: Endpoint,
        dialer: Dialer,
        headers: HeaderMap,
        max_body: usize,
    ) -> HttpConn {
        HttpConn {
            endpoint,
            dialer,
            headers,
            max_body,
            sender: None,
        }
    }

    /// A polling GET; the body of a 200 answer.
    pub(crate) async fn get(&mut self, target: &str) -> Result<Bytes, RequestError> {
        self.request(Method::GET, target, Bytes::new()).await
    }

    /// A polling POST of `payload`.
    pub(crate) async fn post(&mut self, target: &str, payload: Bytes) -> Result<(), RequestError> {
        self.request(Method::POST, target, payload).await.map(drop)
    }

    async fn request(
        &mut self,
        method: Method,
        target: &str,
        body: Bytes,
    ) -> Result<Bytes, RequestError> {
        let mut request = http::Request::builder()
            .method(method.clone())
            .uri(target)
            .body(Full::new(body))
            .map_err(|e| RequestError::Http(e.to_string()))?;
        let headers = request.headers_mut();
        headers.extend(self.headers.clone());
        if let Ok(host) = self.endpoint.authority().parse() {
            headers.insert(header::HOST, host);
        }
        if method == Method::POST {
            // What engine.io-client's XHR sends; servers read the body as text either way.
            headers.insert(
                header::CONTENT_TYPE,
                header::HeaderValue::from_static("text/plain;charset=UTF-8"),
            );
        }
        let response = match self.sender().await?.try_send_request(request).await {
            Ok(response) => response,
            Err(mut error) => match error.take_message() {
                // The kept-alive connection closed before the request went out: the server
                // has not seen it, so it goes once more on a new connection.
                Some(request) => {
                    self.sender = None;
                    self.sender()
                        .await?
                        .send_request(request)
                        .await
                        .map_err(|e| self.failed(e))?
                }
                None => return Err(self.failed(error.into_error())),
            },
        };
        let status = response.status();
        let body = Limited::new(response.into_body(), self.max_body)
            .collect()
            .await
            .map_err(|e| {
                self.sender = None;
                RequestError::Http(e.to_string())
            })?
            .to_bytes();
        if status != StatusCode::OK {
            return Err(RequestError::Status(status, body));
        }
        Ok(body)
    }

    /// The open connection's sender, connecting first if there is none or it closed.
    async fn sender(&mut self) -> Result<&mut SendRequest<Full<Bytes>>, RequestError> {
        let reusable = match self.sender.as_mut() {
            Some(sender) => !sender.is_closed() && sender.ready().await.is_ok(),
            None => false,
        };
        if !reusable {
            self.sender = Some(self.connect().await?);
        }
        self.sender
            .as_mut()
            .ok_or_else(|| RequestError::Http("no connection".to_owned()))
    }

    async fn connect(&self) -> Result<SendRequest<Full<Bytes>>, RequestError> {
        let stream = self.dialer.dial().await.map_err(RequestError::Dial)?;
        let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| RequestError::Http(e.to_string()))?;
        // Ends when the server closes the connection or the sender is dropped; a request then
        // fails with the cause, so its own result carries nothing more.
        tokio::spawn(connection);
        Ok(sender)
    }

    fn failed(&mut self, error: hyper::Error) -> RequestError {
        self.sender = None;
        RequestError::Http(error.to_string())
    }
}
