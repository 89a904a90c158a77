//! The benchmark endpoints and the GitHub-shaped route table, served by axum.

use std::time::Duration;

use axum::extract::{Path, Request};
use axum::middleware::{from_fn, Next};
use axum::response::Response;
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

async fn noop(req: Request, next: Next) -> Response {
    next.run(req).await
}

/// `BENCH_MIDDLEWARE` picks what wraps every route, as in the waypost
/// server: `none`, `noop5` (five `from_fn` layers that pass the request on),
/// `stack` (tower-http's request id set and propagated, trace, catch-panic
/// and timeout; no subscriber) or `stack-sink` (the same, with a subscriber
/// formatting every event into a sink).
fn with_middleware(router: Router) -> Router {
    let variant = std::env::var("BENCH_MIDDLEWARE").unwrap_or_default();
    match variant.as_str() {
        "" | "none" | "default" => router,
        "noop5" => router
            .layer(from_fn(noop))
            .layer(from_fn(noop))
            .layer(from_fn(noop))
            .layer(from_fn(noop))
            .layer(from_fn(noop)),
        "stack" | "stack-sink" => {
            if variant == "stack-sink" {
                tracing_subscriber::fmt()
                    .with_writer(std::io::sink)
                    .with_max_level(tracing::Level::INFO)
                    .init();
            }
            use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
            use tower_http::trace::{DefaultOnResponse, TraceLayer};
            let stack = tower::ServiceBuilder::new()
                .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
                .layer(TraceLayer::new_for_http().on_response(DefaultOnResponse::new().level(tracing::Level::INFO)))
                .layer(PropagateRequestIdLayer::x_request_id())
                .layer(tower_http::catch_panic::CatchPanicLayer::new())
                .layer(tower_http::timeout::TimeoutLayer::with_status_code(
                    axum::http::StatusCode::SERVICE_UNAVAILABLE,
                    Duration::from_secs(30),
                ));
            router.layer(stack)
        }
        other => panic!("unknown BENCH_MIDDLEWARE `{other}`"),
    }
}

fn main() {
    let router = Router::new()
        .route("/plaintext", get(plaintext))
        .route("/json", get(json))
        .route("/echo", post(echo))
        .route("/users/{id}", get(user));
    let router = with_middleware(github::github_routes(router));
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
