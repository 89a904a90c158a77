use waypost::{middleware, HeaderMap, Next, Request, Response};

#[middleware]
async fn log(req: Request, headers: HeaderMap, next: Next) -> Response {
    next.run(req).await
}

fn main() {}
