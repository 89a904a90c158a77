use waypost::{middleware, Json, Next, Request, Response};

#[middleware]
async fn inspect(Json(body): Json<serde_json::Value>, req: Request, next: Next) -> Response {
    next.run(req).await
}

fn main() {}
