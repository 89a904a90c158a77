use waypost::{middleware, Request, Response};

#[middleware]
async fn log(req: Request) -> Response {
    todo!()
}

fn main() {}
