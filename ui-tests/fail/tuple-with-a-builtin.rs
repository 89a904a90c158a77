use waypost::middleware::RequestId;
use waypost::{middleware, App, Next, Request, Response};

#[middleware]
async fn stamp(req: Request, next: Next) -> Response {
    next.run(req).await
}

fn main() {
    // A built-in is wrapped on its own; only `#[middleware]` fns compose in a tuple.
    let _ = App::new().wrap((stamp, RequestId::new()));
}
