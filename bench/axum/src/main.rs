//! The benchmark endpoints and the GitHub-shaped route table, served by axum.

use axum::extract::Path;
use axum::routing::{get, post};
use axum::serve::ListenerExt;
use axum::{Json, Router};
use bench_common::{address, one_worker_runtime, user_text, EchoBody, Message, PLAINTEXT};

mod github {
    include!(concat!(env!("OUT_DIR"), "/axum_routes.rs"));
}

async fn plaintext() -> &'static str {
    PLAINTEXT
}

async fn json() -> Json<Message> {
    Json(Message::hello())
}

async fn echo(Json(body): Json<EchoBody>) -> Json<EchoBody> {
    Json(body)
}

async fn user(Path(id): Path<u64>) -> String {
    user_text(id)
}

fn main() {
    let router = Router::new()
        .route("/plaintext", get(plaintext))
        .route("/json", get(json))
        .route("/echo", post(echo))
        .route("/users/{id}", get(user));
    let router = github::github_routes(router);
    one_worker_runtime().block_on(async {
        let listener = tokio::net::TcpListener::bind(address())
            .await
            .expect("bind");
        let listener = listener.tap_io(|tcp| {
            let _ = tcp.set_nodelay(true);
        });
        axum::serve(listener, router).await.expect("serve");
    });
}
