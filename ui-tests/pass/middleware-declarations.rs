//! `#[middleware]` with the attributes users put on functions, in modules,
//! with extractors and `provides`, used at every scope.

use std::time::Duration;

use waypost::middleware::{Rest, RequestId, Timeout};
use waypost::{
    get, middleware, routes, App, Extension, Group, HeaderMap, Next, Request, Response, State,
};

#[derive(Clone)]
struct User(String);

#[derive(Clone)]
struct Db;

mod auth {
    use super::*;

    /// Finds the user; documented like any function.
    #[middleware(provides = User)]
    #[allow(unused_mut)]
    #[inline]
    pub(crate) async fn authenticate(
        headers: HeaderMap,
        State(_db): State<Db>,
        mut req: Request,
        next: Next,
    ) -> Response {
        let name = headers
            .get("x-user")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("anonymous")
            .to_owned();
        req.extensions_mut().insert(User(name));
        next.run(req).await
    }
}

#[cfg(any())]
#[middleware]
async fn compiled_out(req: Request, next: Next) -> Response {
    next.run(req).await
}

#[middleware]
async fn r#async(req: Request, next: Next) -> impl waypost::IntoResponse {
    next.run(req).await
}

#[get("/me", wrap = [r#async, Timeout::new(Duration::from_secs(1))])]
async fn me(Extension(user): Extension<User>) -> String {
    user.0
}

/// Takes the rest of the chain as its own generic: composes too.
#[middleware]
async fn generic(req: Request, next: Next<impl Rest>) -> Response {
    next.run(req).await
}

/// Never runs the rest: nothing in the body is the `Next`.
#[middleware]
async fn closed(_req: Request, _: Next) -> &'static str {
    "closed"
}

/// Named like the bindings of generated code: they must not clash.
#[middleware]
async fn call(req: Request, next: Next) -> Response {
    next.run(req).await
}

#[middleware]
async fn future(req: Request, next: Next) -> Response {
    next.run(req).await
}

/// Passes `next` on, to a function generic over it: composes too.
#[middleware]
async fn passes_a_generic_next_on(req: Request, next: Next<impl Rest>) -> Response {
    handle_any(req, next).await
}

async fn handle_any(req: Request, next: Next<impl Rest>) -> Response {
    next.run(req).await
}

/// Names the chain's own `Next` type: stays as written.
#[middleware]
async fn chained(req: Request, next: Next<waypost::middleware::Chained>) -> Response {
    next.run(req).await
}

/// Passes `next` on: wrapped on its own only.
#[middleware]
async fn passes_next_on(req: Request, next: Next) -> Response {
    handle(req, next).await
}

async fn handle(req: Request, next: Next) -> Response {
    next.run(req).await
}

#[get("/composed", wrap = [(r#async, generic), Timeout::new(Duration::from_secs(1))])]
async fn composed() -> &'static str {
    "composed"
}

fn main() {
    // Tuples at every scope, nested, beside middleware wrapped one by one.
    let tuples = App::new()
        .state(Db)
        .wrap((r#async, (generic, auth::authenticate)))
        .wrap(passes_next_on)
        .wrap((call, future, passes_a_generic_next_on))
        .wrap(chained)
        .group(Group::new("/closed").wrap((closed,)).mount("/", routes![me]))
        .mount("/", routes![composed]);
    tuples.build().expect("tuples hold together");

    let app = App::new()
        .state(Db)
        .wrap(RequestId::new())
        .group(Group::new("/api").wrap(auth::authenticate).mount("/", routes![me]));
    app.build().expect("the app holds together");
}
