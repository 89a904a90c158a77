use waypost::{App, Next, Request, Response};

async fn log(req: Request, next: Next) -> Response {
    next.run(req).await
}

fn main() {
    let _ = App::new().wrap(log);
}
