//! Mounting: a tower `Service` that answers requests under the Engine.IO path and passes every
//! other request to the inner service, and the `Layer` that wraps an inner service.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body::Body;
use http_body_util::Full;
use pin_project_lite::pin_project;
use tower_service::Service;

use crate::body::ResponseBody;
use crate::endpoint;
use crate::engine::{EngineIo, Shared};
use crate::handler::Handler;

/// Errors of request bodies the service reads (polling POSTs).
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The Engine.IO service in front of `S`.
pub struct EngineIoService<H, S> {
    engine: EngineIo<H>,
    inner: S,
}

impl<H, S: Clone> Clone for EngineIoService<H, S> {
    fn clone(&self) -> Self {
        EngineIoService {
            engine: self.engine.clone(),
            inner: self.inner.clone(),
        }
    }
}

impl<H: Handler, S> EngineIoService<H, S> {
    /// Engine.IO at its path, `inner` for everything else.
    pub fn new(engine: EngineIo<H>, inner: S) -> Self {
        EngineIoService { engine, inner }
    }

    /// The server behind this service.
    pub fn engine(&self) -> &EngineIo<H> {
        &self.engine
    }
}

fn is_engine_path(path: &str, prefix: &str) -> bool {
    // `/engine.io/` also matches `/engine.io`, as the reference server accepts both.
    path.starts_with(prefix) || prefix.strip_suffix('/') == Some(path)
}

impl<H, S, ReqBody, ResBody> Service<Request<ReqBody>> for EngineIoService<H, S>
where
    H: Handler,
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
    ReqBody: Body<Data = Bytes> + Send + 'static,
    ReqBody::Error: Into<BoxError>,
    ResBody: Body<Data = Bytes>,
{
    type Response = Response<ResponseBody<ResBody>>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<ReqBody>) -> Self::Future {
        let shared: &Arc<Shared<H>> = &self.engine.shared;
        if is_engine_path(request.uri().path(), &shared.config.path) {
            ResponseFuture {
                kind: FutureKind::Engine {
                    future: Box::pin(endpoint::handle(shared.clone(), request)),
                },
            }
        } else {
            ResponseFuture {
                kind: FutureKind::Inner {
                    future: self.inner.call(request),
                },
            }
        }
    }
}

type EngineFuture = Pin<Box<dyn Future<Output = Response<Full<Bytes>>> + Send>>;

pin_project! {
    /// The future of [`EngineIoService`]'s responses.
    pub struct ResponseFuture<F> {
        #[pin]
        kind: FutureKind<F>,
    }
}

pin_project! {
    #[project = FutureKindProj]
    enum FutureKind<F> {
        Inner { #[pin] future: F },
        Engine { future: EngineFuture },
    }
}

impl<F, B, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<Response<B>, E>>,
{
    type Output = Result<Response<ResponseBody<B>>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project().kind.project() {
            FutureKindProj::Inner { future } => {
                let response = ready!(future.poll(cx))?;
                Poll::Ready(Ok(response.map(ResponseBody::inner)))
            }
            FutureKindProj::Engine { future } => {
                let response = ready!(future.as_mut().poll(cx));
                Poll::Ready(Ok(response.map(ResponseBody::engine)))
            }
        }
    }
}

/// The tower layer that puts Engine.IO in front of a service.
pub struct EngineIoLayer<H> {
    engine: EngineIo<H>,
}

impl<H> Clone for EngineIoLayer<H> {
    fn clone(&self) -> Self {
        EngineIoLayer {
            engine: self.engine.clone(),
        }
    }
}

impl<H> EngineIoLayer<H> {
    pub(crate) fn new(engine: EngineIo<H>) -> Self {
        EngineIoLayer { engine }
    }
}

impl<H: Handler, S> tower_layer::Layer<S> for EngineIoLayer<H> {
    type Service = EngineIoService<H, S>;

    fn layer(&self, inner: S) -> Self::Service {
        EngineIoService::new(self.engine.clone(), inner)
    }
}

/// The inner service of a bare [`EngineIo::service`]: 404 for every request outside the path.
#[derive(Debug, Clone, Copy, Default)]
pub struct NotFound;

impl<B> Service<Request<B>> for NotFound {
    type Response = Response<Full<Bytes>>;
    type Error = Infallible;
    type Future = std::future::Ready<Result<Response<Full<Bytes>>, Infallible>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, _request: Request<B>) -> Self::Future {
        let mut response = Response::new(Full::new(Bytes::new()));
        *response.status_mut() = StatusCode::NOT_FOUND;
        std::future::ready(Ok(response))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_matching() {
        assert!(is_engine_path("/engine.io/", "/engine.io/"));
        assert!(is_engine_path("/engine.io", "/engine.io/"));
        assert!(!is_engine_path("/engine.iox", "/engine.io/"));
        assert!(!is_engine_path("/", "/engine.io/"));
    }
}
