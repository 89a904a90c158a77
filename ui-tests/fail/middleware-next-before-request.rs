use waypost::{middleware, Next, Request, Response};

#[middleware]
async fn log(next: Next, req: Request) -> Response {
    next.run(req).await
}

fn main() {}
