//! Procedural macros of the waypost web framework.
//!
//! Use them through the `waypost` crate: `#[waypost::get("/users/<id>")]`,
//! `waypost::routes![…]`. Each attribute runs parse → validate → expand and
//! reports every mistake at once, each at its span.

mod diagnostics;
mod middleware;
mod path;
mod route;
mod routes;
#[cfg(test)]
mod snapshot_tests;

use proc_macro::TokenStream;
use route::MethodAttr;

macro_rules! method_attributes {
    ($($name:ident => $method:literal),* $(,)?) => {$(
        #[doc = concat!("Declares an async `", $method, "` handler: `#[", stringify!($name), "(\"/users/<id>\")]`.")]
        ///
        /// `<name>` segments bind the handler argument of that name (parsed with
        /// `FromParam`); `<name..>` as the last segment takes the rest of the path.
        /// Every other argument is an extractor.
        #[proc_macro_attribute]
        pub fn $name(attr: TokenStream, item: TokenStream) -> TokenStream {
            route::expand_route(MethodAttr::Fixed($method), attr.into(), item.into()).into()
        }
    )*};
}

method_attributes! {
    get => "GET",
    post => "POST",
    put => "PUT",
    patch => "PATCH",
    delete => "DELETE",
    head => "HEAD",
    options => "OPTIONS",
}

/// Declares a handler for one or more methods:
/// `#[route("/items", method = "GET", method = "POST")]`.
#[proc_macro_attribute]
pub fn route(attr: TokenStream, item: TokenStream) -> TokenStream {
    route::expand_route(MethodAttr::Route, attr.into(), item.into()).into()
}

/// Declares a middleware: `#[middleware] async fn name(extractors.., req: Request, next: Next) -> impl IntoResponse`.
///
/// The extractors read only the request head (`State<T>`, `Extension<T>`,
/// `HeaderMap`, `Bearer`, …). `#[middleware(provides = T)]` declares that it
/// inserts a `T` into the request's extensions, for handlers that take
/// `Extension<T>`; `App::build` checks every such handler has a provider on
/// its chain. The function becomes a value of the same name that
/// `App::wrap`, `Group::wrap` and `wrap = [..]` take: a unit struct, with
/// the function as its associated function (`name::name`). Like any unit
/// struct, that name is then a pattern too: a variable or argument of the
/// same name in scope (`let auth = ..` beside `async fn auth`) does not
/// compile; name the middleware for what it does (`authenticate`).
#[proc_macro_attribute]
pub fn middleware(attr: TokenStream, item: TokenStream) -> TokenStream {
    middleware::expand_middleware(attr.into(), item.into()).into()
}

/// Gathers handlers into a `&'static [Route]` table, checked at compile time:
/// two handlers with the same method and path shape do not compile.
#[proc_macro]
pub fn routes(input: TokenStream) -> TokenStream {
    routes::expand_routes(input.into()).into()
}
