use waypost::{middleware, Next, Request, Response};

struct Config;

#[middleware]
async fn configure(config: Config, req: Request, next: Next) -> Response {
    next.run(req).await
}

fn main() {}
