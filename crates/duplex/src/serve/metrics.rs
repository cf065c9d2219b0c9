//! `GET /metrics` (the path is `--metrics-path`): the server's counters in Prometheus text
//! format, on the chat's own port, in front of whatever else the server answers.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use duplex_socketio::SocketIo;
use duplex_socketio::engineio::metrics::{CONTENT_TYPE, Exposition};
use http::{Method, Request, Response, StatusCode, header};
use http_body_util::{Either, Full};
use tower_service::Service;

/// Answers the metrics path itself and hands every other request to `inner`.
#[derive(Clone)]
pub(crate) struct MetricsRoute<S> {
    io: SocketIo,
    path: Arc<str>,
    inner: S,
}

impl<S> MetricsRoute<S> {
    /// Metrics of `io` at `path`; `None` (metrics off) passes everything to `inner`.
    pub(crate) fn new(io: SocketIo, path: Option<&str>, inner: S) -> Self {
        MetricsRoute {
            io,
            // No request path is empty: off means never matched.
            path: Arc::from(path.unwrap_or("")),
            inner,
        }
    }

    fn exposition(&self, method: &Method) -> Response<Full<Bytes>> {
        if method != Method::GET && method != Method::HEAD {
            let mut response = Response::new(Full::new(Bytes::new()));
            *response.status_mut() = StatusCode::METHOD_NOT_ALLOWED;
            response
                .headers_mut()
                .insert(header::ALLOW, http::HeaderValue::from_static("GET, HEAD"));
            return response;
        }
        let mut out = Exposition::new();
        self.io.encode_metrics(&mut out);
        let mut response = Response::new(Full::new(Bytes::from(out.into_string())));
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            http::HeaderValue::from_static(CONTENT_TYPE),
        );
        response
    }
}

type Body<B> = Either<Full<Bytes>, B>;
type RouteFuture<B, E> = Pin<Box<dyn Future<Output = Result<Response<Body<B>>, E>> + Send>>;

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for MetricsRoute<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
    ResBody: Send + 'static,
{
    type Response = Response<Body<ResBody>>;
    type Error = S::Error;
    type Future = RouteFuture<ResBody, S::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<ReqBody>) -> Self::Future {
        if request.uri().path() == &*self.path {
            let response = self.exposition(request.method()).map(Either::Left);
            return Box::pin(std::future::ready(Ok(response)));
        }
        let inner = self.inner.call(request);
        Box::pin(async move { Ok(inner.await?.map(Either::Right)) })
    }
}
