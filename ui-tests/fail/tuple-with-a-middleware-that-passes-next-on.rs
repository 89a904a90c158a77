use waypost::{middleware, App, Next, Request, Response};

async fn logged(req: Request, next: Next) -> Response {
    next.run(req).await
}

// Passes `next` to a function that takes a `Next`: it works wrapped on its
// own, but cannot be composed at compile time.
#[middleware]
async fn log(req: Request, next: Next) -> Response {
    logged(req, next).await
}

#[middleware]
async fn stamp(req: Request, next: Next) -> Response {
    next.run(req).await
}

fn main() {
    let _ = App::new().wrap(log).wrap(stamp);
    let _ = App::new().wrap((stamp, log));
}
