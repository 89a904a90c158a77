//! The benchmark endpoints and the GitHub-shaped route table, served by waypost.

use bench_common::{address, one_worker_runtime, user_text, EchoBody, Message, PLAINTEXT};
use std::time::Duration;

use waypost::middleware::{AccessLog, RequestId, Timeout};
use waypost::{get, middleware, post, routes, App, Json, Next, Request, Response};

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

/// A middleware that does nothing but pass the request on.
macro_rules! noop_middleware {
    ($($name:ident),*) => {$(
        #[middleware]
        async fn $name(req: Request, next: Next) -> Response {
            next.run(req).await
        }
    )*};
}

noop_middleware!(noop1, noop2, noop3, noop4, noop5);

/// `BENCH_MIDDLEWARE` (or the first argument) picks what wraps every route: `none` (the default;
/// panics not caught either), `default` (`App::new()` as users get it: panics caught),
/// `noop5` (five no-op `#[middleware]`), `stack` (RequestId + AccessLog +
/// Recover + Timeout, no subscriber) or `stack-sink` (the same, with a
/// subscriber formatting every event into a sink).
fn with_middleware(app: App) -> App {
    // A first argument names the variant too, for a table row of its own.
    let variant = std::env::args()
        .nth(1)
        .or_else(|| std::env::var("BENCH_MIDDLEWARE").ok())
        .unwrap_or_default();
    match variant.as_str() {
        "" | "none" => app.recover(false),
        "default" => app,
        "noop5" => app
            .recover(false)
            .wrap(noop1)
            .wrap(noop2)
            .wrap(noop3)
            .wrap(noop4)
            .wrap(noop5),
        "noop5-tuple" => app
            .recover(false)
            .wrap((noop1, noop2, noop3, noop4, noop5)),
        "stack" | "stack-sink" => {
            if variant == "stack-sink" {
                tracing_subscriber::fmt()
                    .with_writer(std::io::sink)
                    .with_max_level(tracing::Level::INFO)
                    .init();
            }
            // Recover is on by default.
            app.wrap(RequestId::new())
                .wrap(AccessLog::new())
                .wrap(Timeout::new(Duration::from_secs(30)))
        }
        other => panic!("unknown BENCH_MIDDLEWARE `{other}`"),
    }
}

fn main() {
    let app = with_middleware(
        App::new()
            .mount("/", routes![plaintext, json, echo, user])
            .mount("/", github::github_routes()),
    );
    one_worker_runtime().block_on(async {
        let listener = tokio::net::TcpListener::bind(address())
            .await
            .expect("bind");
        app.serve_listener(listener).await.expect("serve");
    });
}
