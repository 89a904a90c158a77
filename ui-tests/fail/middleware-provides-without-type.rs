use waypost::{middleware, Next, Request, Response};

#[middleware(provides)]
async fn authenticate(req: Request, next: Next) -> Response {
    next.run(req).await
}

fn main() {}
