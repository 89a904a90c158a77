//! `Compression`: response bodies compressed as the client accepts, by tower-http.

use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll};

use http::header::{CONTENT_ENCODING, CONTENT_TYPE, ETAG};
use http::HeaderValue;
use tower_http::compression::predicate::{NotForContentType, Predicate, SizeAbove};
use tower_http::compression::CompressionLayer;
use tower_layer::{Layer as TowerLayer, Stack};
use tower_service::Service;

use super::chain::ChainLayer;
use super::tower::{tower_layer, TowerLayerBound};
use super::{Middleware, Next};
use crate::request::Request;
use crate::route::HandlerFuture;

/// Compresses response bodies with zstd, brotli or gzip, as negotiated by
/// `Accept-Encoding` (with its q-values), and sets `Content-Encoding` and
/// `Vary: Accept-Encoding`. Bodies smaller than the minimum (1 KiB by
/// default), images, audio, video, archives, server-sent events and gRPC are
/// sent as they are. A strong `ETag` on a response it compresses becomes
/// weak (`W/"…"`): the compressed bytes are not the ones it named. A handler
/// that answers `If-None-Match` itself should compare tags weakly (ignoring
/// `W/`), since clients send back the weak form.
///
/// ```
/// use waypost::{middleware::Compression, App};
/// let app = App::new().wrap(Compression::new().min_size(256));
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Compression {
    min_size: u16,
}

impl Compression {
    /// gzip, brotli and zstd, for bodies of 1 KiB and more.
    pub fn new() -> Self {
        Compression { min_size: 1024 }
    }

    /// Compresses only bodies of at least `bytes` (a body of unknown size is compressed).
    pub fn min_size(mut self, bytes: u16) -> Self {
        self.min_size = bytes;
        self
    }

    fn to_layer(self) -> impl TowerLayerBound {
        // `SizeAbove` compresses bodies of at least its size.
        let predicate = SizeAbove::new(self.min_size)
            .and(NotForContentType::GRPC)
            .and(NotForContentType::IMAGES)
            .and(NotForContentType::SSE)
            .and(NotForContentType::const_new("audio/"))
            .and(NotForContentType::const_new("video/"))
            .and(NotForContentType::const_new("font/woff"))
            .and(
                |_: http::StatusCode,
                 _: http::Version,
                 headers: &http::HeaderMap,
                 _: &http::Extensions| { !is_archive(headers.get(CONTENT_TYPE)) },
            )
            // Files (they answer ranges and carry a strong `ETag` of their
            // bytes, which compressing on the fly would make false) and
            // partial content: served as they are; precompressed siblings
            // (`StaticFiles::precompressed`) are the way to compress them.
            .and(
                |status: http::StatusCode,
                 _: http::Version,
                 headers: &http::HeaderMap,
                 _: &http::Extensions| {
                    status != http::StatusCode::PARTIAL_CONTENT
                        && !headers.contains_key(http::header::ACCEPT_RANGES)
                },
            );
        let compression = CompressionLayer::new()
            .gzip(true)
            .br(true)
            .zstd(true)
            .compress_when(predicate);
        // Innermost first: mark what arrives encoded, compress, then weaken
        // the validator of what was compressed here.
        Stack::new(
            Stack::new(StepLayer::<MarkEncoded>::new(), compression),
            StepLayer::<WeakenEtag>::new(),
        )
    }
}

/// Archive and compressed types: compressing them again gains nothing.
const ARCHIVES: [&str; 12] = [
    "application/zip",
    "application/gzip",
    "application/x-gzip",
    "application/zstd",
    "application/x-zstd",
    "application/x-7z-compressed",
    "application/x-bzip2",
    "application/x-xz",
    "application/x-lzip",
    "application/x-compress",
    "application/vnd.rar",
    "application/x-rar-compressed",
];

fn is_archive(content_type: Option<&HeaderValue>) -> bool {
    let Some(content_type) = content_type.and_then(|value| value.to_str().ok()) else {
        return false;
    };
    let essence = content_type.split(';').next().unwrap_or("").trim();
    ARCHIVES
        .iter()
        .any(|archive| essence.eq_ignore_ascii_case(archive))
}

/// What a handler encoded itself: its `ETag` is its own business.
#[derive(Clone, Copy)]
struct Encoded;

/// A change made to each response passing a point of the layer stack.
trait ResponseStep: Send + Sync + 'static {
    fn apply<B>(response: &mut http::Response<B>);
}

/// Inside the compression: marks a response that is encoded already.
struct MarkEncoded;

impl ResponseStep for MarkEncoded {
    fn apply<B>(response: &mut http::Response<B>) {
        if response.headers().contains_key(CONTENT_ENCODING) {
            response.extensions_mut().insert(Encoded);
        }
    }
}

/// Outside the compression: a response encoded here, not by its handler,
/// keeps no strong `ETag`.
struct WeakenEtag;

impl ResponseStep for WeakenEtag {
    fn apply<B>(response: &mut http::Response<B>) {
        if !response.headers().contains_key(CONTENT_ENCODING)
            || response.extensions_mut().remove::<Encoded>().is_some()
        {
            return;
        }
        let Some(etag) = response.headers().get(ETAG) else {
            return;
        };
        if etag.as_bytes().starts_with(b"W/") {
            return;
        }
        let mut weak = b"W/".to_vec();
        weak.extend_from_slice(etag.as_bytes());
        if let Ok(weak) = HeaderValue::from_bytes(&weak) {
            response.headers_mut().insert(ETAG, weak);
        }
    }
}

/// A tower layer applying `K` to every response of the service it wraps.
struct StepLayer<K>(PhantomData<fn() -> K>);

impl<K> StepLayer<K> {
    fn new() -> Self {
        StepLayer(PhantomData)
    }
}

impl<S, K: ResponseStep> TowerLayer<S> for StepLayer<K> {
    type Service = Step<S, K>;

    fn layer(&self, inner: S) -> Step<S, K> {
        Step {
            inner,
            step: PhantomData,
        }
    }
}

struct Step<S, K> {
    inner: S,
    step: PhantomData<fn() -> K>,
}

impl<S: Clone, K> Clone for Step<S, K> {
    fn clone(&self) -> Self {
        Step {
            inner: self.inner.clone(),
            step: PhantomData,
        }
    }
}

impl<S, K, R, B> Service<R> for Step<S, K>
where
    S: Service<R, Response = http::Response<B>>,
    K: ResponseStep,
{
    type Response = http::Response<B>;
    type Error = S::Error;
    type Future = StepFuture<S::Future, K>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: R) -> Self::Future {
        StepFuture {
            future: self.inner.call(request),
            step: PhantomData,
        }
    }
}

pin_project_lite::pin_project! {
    struct StepFuture<F, K> {
        #[pin]
        future: F,
        step: PhantomData<fn() -> K>,
    }
}

impl<F, K, B, E> Future for StepFuture<F, K>
where
    F: Future<Output = Result<http::Response<B>, E>>,
    K: ResponseStep,
{
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut output = std::task::ready!(self.project().future.poll(cx));
        if let Ok(response) = &mut output {
            K::apply(response);
        }
        Poll::Ready(output)
    }
}

impl Default for Compression {
    fn default() -> Self {
        Self::new()
    }
}

impl Middleware for Compression {
    /// Not used by `wrap`, which applies the layer once for its scope
    /// (see [`Middleware::into_layer`]); here for completeness, per request.
    fn call(&self, req: Request, next: Next) -> HandlerFuture {
        tower_layer(self.to_layer())
            .instantiate(&mut Default::default())
            .call(req, next)
    }

    fn name(&self) -> &'static str {
        "Compression"
    }

    fn into_layer(self) -> ChainLayer {
        ChainLayer(tower_layer(self.to_layer()))
    }
}
