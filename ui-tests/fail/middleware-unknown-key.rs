use waypost::{middleware, Next, Request, Response};

#[middleware(inserts = User)]
async fn authenticate(req: Request, next: Next) -> Response {
    next.run(req).await
}

fn main() {}
