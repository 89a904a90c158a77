//! The runtime of the waypost web framework.
//!
//! Users depend on the `waypost` crate, which re-exports this one together
//! with the route macros. See `docs/ARCHITECTURE.md` for how a request flows
//! through these modules.

#![warn(missing_docs)]

mod app;
mod body;
#[cfg(feature = "cookies")]
mod cookies;
mod error;
mod extract;
pub mod files;
mod group;
mod handler_future;
mod health;
pub mod middleware;
#[cfg(feature = "multipart")]
pub mod multipart;
mod overlap;
mod path;
mod problem;
mod request;
mod response;
mod route;
mod routed;
mod router;
mod server;
mod service;
mod spare_extensions;
mod test_client;
#[cfg(feature = "ws")]
pub mod ws;

#[doc(hidden)]
pub mod __private;

pub use app::{App, BuildError, DEFAULT_BODY_LIMIT};
pub use body::{Body, BoxError};
#[cfg(feature = "cookies")]
pub use cookies::{Cookie, CookieJar, CookieKey, PrivateCookieJar, SignedCookieJar};
pub use error::{Error, ResultExt};
pub use extract::{
    AuthRejection, BasicAuth, Bearer, BodyRejection, Extension, ExtensionRejection, Form,
    FormRejection, FromParam, FromRequest, FromRequestParts, Json, JsonRejection,
    OptionalFromRequest, OptionalFromRequestParts, ParamRejection, Query, QueryRejection, State,
    StateKey, StateNeeds, StringRejection,
};
pub use group::Group;
pub use health::{
    CheckOutcome, ReadinessCheck, DEFAULT_CHECK_TIMEOUT, DEFAULT_LIVENESS_PATH,
    DEFAULT_READINESS_PATH,
};
pub use middleware::{Middleware, Next, NextFuture};
#[cfg(feature = "multipart")]
pub use multipart::Multipart;
pub use problem::{Problem, PROBLEM_JSON};
pub use request::{Request, RequestParts};
pub use response::{
    Event, Html, IntoResponse, IntoResponseHeaders, InvalidHeader, KeepAlive, Redirect, Response,
    Sse,
};
pub use route::{HandlerFuture, MethodSet, Route};
pub use router::RouteInfo;
pub use server::{
    ServeError, Server, DEFAULT_DRAIN_TIMEOUT, DEFAULT_HEADER_READ_TIMEOUT,
    DEFAULT_KEEP_ALIVE_TIMEOUT, DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_HEADER_BYTES,
    DEFAULT_SEND_TIMEOUT,
};
#[cfg(feature = "tls")]
pub use server::{TlsConfig, TlsError};
pub use service::{AppService, ResponseFuture, ServeFuture};
pub use test_client::{TestClient, TestRequest, TestResponse};

pub use bytes::Bytes;
pub use http::{self, HeaderMap, Method, StatusCode, Uri};
