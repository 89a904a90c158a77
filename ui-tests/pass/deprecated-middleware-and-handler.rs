//! A deprecated middleware or handler warns where it is used, not where it
//! is declared (denied here, so that a warning would fail the case).
#![deny(warnings)]

use waypost::{middleware, Next, Request, Response};

#[deprecated = "use `stamp`"]
fn old_helper() {}

/// Deprecated: its own body may use deprecated items, as any deprecated item may.
#[middleware]
#[deprecated = "use `stamp`"]
async fn old_stamp(req: Request, next: Next) -> Response {
    old_helper();
    next.run(req).await
}

#[middleware]
async fn stamp(req: Request, next: Next) -> Response {
    next.run(req).await
}

#[waypost::get("/old")]
#[deprecated = "use `index`"]
async fn old_index() -> &'static str {
    "old"
}

#[waypost::get("/")]
async fn index() -> &'static str {
    "new"
}

fn main() {
    #[allow(deprecated)]
    let app = waypost::App::new()
        .wrap((stamp,))
        .wrap(old_stamp)
        .mount("/", waypost::routes![index, old_index]);
    assert!(app.build().is_ok());
}
