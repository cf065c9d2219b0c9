//! The HTTP service of `duplex serve`: the embedded files ([`Assets`]) in front of Socket.IO.
//!
//! The files come first because two of them live under Socket.IO's own path
//! (`/socket.io/socket.io.js` and `/socket.io/client/`), as with Node's `serveClient`; every
//! other request goes to Socket.IO's service, which answers its path and 404 elsewhere.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::{HeaderValue, Method, Request, Response, StatusCode, header};
use http_body_util::{Either, Full};
use tower_service::Service;

use super::assets::{Asset, Assets};

/// The embedded files, then `inner`.
#[derive(Clone)]
pub struct Site<S> {
    assets: Arc<Assets>,
    inner: S,
}

impl<S> Site<S> {
    /// Serves `assets` and passes every other request to `inner`.
    pub fn new(assets: Arc<Assets>, inner: S) -> Self {
        Site { assets, inner }
    }
}

/// A response future that can be named in [`Service::Future`].
type BoxFuture<T, E> = Pin<Box<dyn Future<Output = Result<T, E>> + Send>>;

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for Site<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
    ResBody: Send + 'static,
{
    type Response = Response<Either<Full<Bytes>, ResBody>>;
    type Error = S::Error;
    type Future = BoxFuture<Self::Response, S::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<ReqBody>) -> Self::Future {
        if let Some(asset) = self.assets.get(request.uri().path()) {
            let response = answer(asset, &request).map(Either::Left);
            return Box::pin(std::future::ready(Ok(response)));
        }
        let future = self.inner.call(request);
        Box::pin(async move { Ok(future.await?.map(Either::Right)) })
    }
}

/// `asset` for a GET or HEAD (304 when the client's copy is current), 405 for other methods.
fn answer<B>(asset: &Asset, request: &Request<B>) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::new()));
    if request.method() != Method::GET && request.method() != Method::HEAD {
        *response.status_mut() = StatusCode::METHOD_NOT_ALLOWED;
        let allow = HeaderValue::from_static("GET, HEAD");
        response.headers_mut().insert(header::ALLOW, allow);
        return response;
    }
    let current = request
        .headers()
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|tag| {
            let tag = tag.trim();
            tag == "*" || tag.strip_prefix("W/").unwrap_or(tag) == asset.etag
        });
    if current {
        *response.status_mut() = StatusCode::NOT_MODIFIED;
    } else {
        *response.body_mut() = Full::new(asset.body.clone());
    }
    let headers = response.headers_mut();
    // Revalidated on every load (no-cache), so a restarted newer server is seen at once.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if let Ok(etag) = HeaderValue::from_str(&asset.etag) {
        headers.insert(header::ETAG, etag);
    }
    if !current {
        let content_type = HeaderValue::from_static(asset.content_type);
        headers.insert(header::CONTENT_TYPE, content_type);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;
    use std::convert::Infallible as Never;

    #[derive(Clone)]
    struct Teapot;

    impl Service<Request<()>> for Teapot {
        type Response = Response<Full<Bytes>>;
        type Error = Never;
        type Future = std::future::Ready<Result<Self::Response, Never>>;

        fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Never>> {
            Poll::Ready(Ok(()))
        }

        fn call(&mut self, _request: Request<()>) -> Self::Future {
            let mut response = Response::new(Full::new(Bytes::from_static(b"tea")));
            *response.status_mut() = StatusCode::IM_A_TEAPOT;
            std::future::ready(Ok(response))
        }
    }

    async fn get(
        site: &mut Site<Teapot>,
        method: Method,
        path: &str,
        etag: Option<&str>,
    ) -> (StatusCode, http::HeaderMap, Bytes) {
        let mut request = Request::builder().method(method).uri(path);
        if let Some(etag) = etag {
            request = request.header(header::IF_NONE_MATCH, etag);
        }
        let response = site.call(request.body(()).unwrap()).await.unwrap();
        let (parts, body) = response.into_parts();
        let bytes = body.collect().await.unwrap().to_bytes();
        (parts.status, parts.headers, bytes)
    }

    #[tokio::test]
    async fn files_first_then_the_inner_service() {
        let mut site = Site::new(Arc::new(Assets::new().unwrap()), Teapot);
        let (status, headers, body) = get(&mut site, Method::GET, "/?nick=ada", None).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(headers[header::CONTENT_TYPE], "text/html; charset=utf-8");
        assert_eq!(headers[header::CACHE_CONTROL], "no-cache");
        assert!(std::str::from_utf8(&body).unwrap().contains("chat.js"));
        let etag = headers[header::ETAG].to_str().unwrap().to_owned();
        let (status, _, body) = get(&mut site, Method::GET, "/", Some(&etag)).await;
        assert_eq!((status, body.len()), (StatusCode::NOT_MODIFIED, 0));
        let (status, ..) = get(&mut site, Method::GET, "/", Some("\"other\"")).await;
        assert_eq!(status, StatusCode::OK);
        let (status, headers, _) = get(&mut site, Method::POST, "/chat/chat.js", None).await;
        assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(headers[header::ALLOW], "GET, HEAD");
        let (status, _, body) = get(&mut site, Method::GET, "/socket.io/?EIO=4", None).await;
        assert_eq!((status, &body[..]), (StatusCode::IM_A_TEAPOT, &b"tea"[..]));
    }
}
