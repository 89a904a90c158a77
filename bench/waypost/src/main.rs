//! The benchmark endpoints and the GitHub-shaped route table, served by waypost.

use bench_common::{address, one_worker_runtime, user_text, EchoBody, Message, PLAINTEXT};
use waypost::{get, post, routes, App, Json};

mod github {
    include!(concat!(env!("OUT_DIR"), "/waypost_routes.rs"));
}

#[get("/plaintext")]
async fn plaintext() -> &'static str {
    PLAINTEXT
}

#[get("/json")]
async fn json() -> Json<Message> {
    Json(Message::hello())
}

#[post("/echo")]
async fn echo(Json(body): Json<EchoBody>) -> Json<EchoBody> {
    Json(body)
}

#[get("/users/<id>")]
async fn user(id: u64) -> String {
    user_text(id)
}

fn main() {
    let app = App::new()
        .mount("/", routes![plaintext, json, echo, user])
        .mount("/", github::github_routes());
    one_worker_runtime().block_on(async {
        let listener = tokio::net::TcpListener::bind(address())
            .await
            .expect("bind");
        app.serve_listener(listener).await.expect("serve");
    });
}
