//! waypost: a web framework whose routes are declared with attribute macros
//! and checked by the compiler.
//!
//! ```no_run
//! use waypost::{get, routes, App, Json};
//!
//! #[get("/users/<id>")]
//! async fn get_user(id: u64) -> Json<serde_json::Value> {
//!     Json(serde_json::json!({ "id": id }))
//! }
//!
//! #[tokio::main]
//! async fn main() -> Result<(), waypost::ServeError> {
//!     App::new().mount("/", routes![get_user]).serve("127.0.0.1:8080").await
//! }
//! ```

// Every example, the README's quick start included, compiles without a warning.
#![doc(test(attr(deny(warnings))))]
pub use waypost_macros::{delete, get, head, middleware, options, patch, post, put, route, routes};
pub use waypost_runtime::*;

/// The README's examples, compiled as doc tests so that they stay true.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
