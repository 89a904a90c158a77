use waypost::{middleware, Next, Request, Response};

#[middleware]
fn log(req: Request, next: Next) -> Response {
    todo!()
}

fn main() {}
