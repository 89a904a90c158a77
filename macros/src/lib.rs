//! Procedural macros of the waypost web framework.
//!
//! Use them through the `waypost` crate: `#[waypost::get("/users/<id>")]`,
//! `waypost::routes![…]`. Each attribute runs parse → validate → expand and
//! reports every mistake at once, each at its span.

#![doc(test(attr(deny(warnings))))]

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
        /// Every other argument is an extractor (at most 16 arguments).
        ///
        /// The function keeps its name, argument types and visibility:
        /// called directly (in a unit test), it returns its future as an
        /// `async fn` does. It may be an associated function
        /// (`routes![Api::health]`), but not a method: it takes no `self` and
        /// names no `Self`. Attributes below the route attribute apply to
        /// the function as written (`#[tracing::instrument]` spans the
        /// handler's future); an attribute macro that generates items beside
        /// the function (an OpenAPI `#[path]`, say) goes above it.
        ///
        /// ```
        /// use waypost::{get, post, routes, App, Json, State};
        ///
        /// #[derive(Clone)]
        /// struct Db;
        ///
        /// #[derive(serde::Deserialize)]
        /// struct NewUser { name: String }
        ///
        /// #[get("/users/<id>")]
        /// async fn user(id: u64, State(_db): State<Db>) -> String {
        ///     format!("user {id}")
        /// }
        ///
        /// #[post("/users")]
        /// async fn create(Json(new): Json<NewUser>) -> String {
        ///     new.name
        /// }
        ///
        /// let app = App::new().state(Db).mount("/", routes![user, create]);
        /// let table = app.routes().unwrap();
        /// assert_eq!((table[0].method.as_str(), table[0].path.as_str()), ("GET", "/users/<id>"));
        /// ```
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
///
/// ```
/// use waypost::{route, routes, App, Method};
///
/// #[route("/items", method = "GET", method = "POST")]
/// async fn items(method: Method) -> String {
///     format!("{method} /items")
/// }
///
/// let methods: Vec<String> = App::new()
///     .mount("/", routes![items])
///     .routes()
///     .unwrap()
///     .iter()
///     .filter(|route| route.path == "/items")
///     .map(|route| route.method.to_string())
///     .collect();
/// assert_eq!(methods, ["GET", "POST"]);
/// ```
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
///
/// ```
/// use waypost::{get, middleware, routes, App, Extension, Next, Problem, Request, Response, StatusCode};
/// use waypost::middleware::Bearer;
///
/// #[derive(Clone)]
/// struct User(String);
///
/// #[middleware(provides = User)]
/// async fn authenticate(bearer: Bearer, mut req: Request, next: Next) -> Result<Response, Problem> {
///     if bearer.token() != "secret" {
///         return Err(Problem::new(StatusCode::UNAUTHORIZED));
///     }
///     req.extensions_mut().insert(User("ada".into()));
///     Ok(next.run(req).await)
/// }
///
/// #[get("/me")]
/// async fn me(Extension(User(name)): Extension<User>) -> String {
///     name
/// }
///
/// let app = App::new().wrap(authenticate).mount("/", routes![me]);
/// assert!(app.build().is_ok());
/// ```
#[proc_macro_attribute]
pub fn middleware(attr: TokenStream, item: TokenStream) -> TokenStream {
    middleware::expand_middleware(attr.into(), item.into()).into()
}

/// Gathers handlers into a `&'static [Route]` table, checked at compile time:
/// two routes that conflict do not compile, and the error names both.
///
/// Two routes conflict when they share a method and their paths differ only
/// in parameter names (`/users/<id>`, `/users/<name>`), or, whatever their
/// methods, when one has a parameter where the other has a catch-all after
/// the same segments (`/files/<name>`, `/files/<rest..>`). A literal segment
/// beside a parameter is no conflict: the literal wins (`/users/me` before
/// `/users/<id>`). `App::build` applies the same rule across tables and prefixes.
///
/// Handlers are named as functions, wherever Rust finds a function: a bare
/// name (declared here, or imported with `use`), a path (`users::get_user`,
/// a re-export included) or an associated function (`Api::health`). A
/// module, type or import that shares a handler's name does not get in the
/// way. A name that is not a route handler is refused at its span.
///
/// ```
/// use waypost::{get, routes, App};
///
/// mod users {
///     #[waypost::get("/users/<id>")]
///     pub async fn user(id: u64) -> String { id.to_string() }
/// }
///
/// #[get("/")]
/// async fn index() -> &'static str { "hello" }
///
/// let app = App::new().mount("/", routes![index, users::user]);
/// assert!(app.build().is_ok());
/// ```
///
/// ```compile_fail
/// use waypost::{get, routes};
///
/// #[get("/users/<id>")]
/// async fn by_id(id: u64) -> String { id.to_string() }
///
/// #[get("/users/<name>")]
/// async fn by_name(name: String) -> String { name }
///
/// // Same method, same shape: a compile error naming both.
/// static TABLE: &[waypost::Route] = routes![by_id, by_name];
/// ```
#[proc_macro]
pub fn routes(input: TokenStream) -> TokenStream {
    routes::expand_routes(input.into()).into()
}
