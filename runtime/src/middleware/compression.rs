//! `Compression`: response bodies compressed as the client accepts, by tower-http.

use tower_http::compression::predicate::{NotForContentType, Predicate, SizeAbove};
use tower_http::compression::CompressionLayer;

use super::chain::ChainLayer;
use super::tower::tower_layer;
use super::{Middleware, Next};
use crate::request::Request;
use crate::route::HandlerFuture;

/// Compresses response bodies with zstd, brotli or gzip, as negotiated by
/// `Accept-Encoding` (with its q-values), and sets `Content-Encoding` and
/// `Vary: Accept-Encoding`. Bodies smaller than the minimum (1 KiB by
/// default), images, audio, video, archives, server-sent events and gRPC are
/// sent as they are.
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

    fn to_layer(self) -> CompressionLayer<impl Predicate> {
        // `SizeAbove` compresses bodies of at least its size.
        let predicate = SizeAbove::new(self.min_size)
            .and(NotForContentType::GRPC)
            .and(NotForContentType::IMAGES)
            .and(NotForContentType::SSE)
            .and(NotForContentType::const_new("audio/"))
            .and(NotForContentType::const_new("video/"))
            .and(NotForContentType::const_new("application/zip"))
            .and(NotForContentType::const_new("application/gzip"))
            .and(NotForContentType::const_new("application/zstd"))
            .and(NotForContentType::const_new("font/woff"))
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
        CompressionLayer::new()
            .gzip(true)
            .br(true)
            .zstd(true)
            .compress_when(predicate)
    }
}

impl Default for Compression {
    fn default() -> Self {
        Self::new()
    }
}

impl Middleware for Compression {
    /// Not used by `wrap`, which applies the layer once per chain position
    /// (see [`Middleware::into_layer`]); here for completeness, per request.
    fn call(&self, req: Request, next: Next) -> HandlerFuture {
        tower_layer(self.to_layer())
            .instantiate_at(next)
            .call(req, next)
    }

    fn name(&self) -> &'static str {
        "Compression"
    }

    fn into_layer(self) -> ChainLayer {
        ChainLayer(tower_layer(self.to_layer()))
    }
}
