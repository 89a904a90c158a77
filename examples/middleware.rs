//! Middleware at work on 127.0.0.1:8080: request ids and access logs for
//! every request, a public group, and a bearer-protected group whose two
//! middleware are composed at compile time (a tuple).
//!
//! Run it with `cargo run --example middleware`, then try:
//! `curl -i localhost:8080/public/hello`,
//! `curl -i localhost:8080/api/me` (401),
//! `curl -i localhost:8080/api/me -H 'authorization: Bearer secret-ada'`.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use waypost::middleware::{AccessLog, Bearer, RequestId, RequestIdValue, Timeout};
use waypost::{
    get, middleware, routes, App, Extension, Group, Next, Problem, Request, Response, State,
    StatusCode,
};

/// Who a token belongs to.
#[derive(Clone)]
struct Tokens(Arc<HashMap<&'static str, &'static str>>);

/// The signed-in user, inserted by `require_user`.
#[derive(Clone)]
struct User {
    name: String,
}

#[middleware(provides = User)]
async fn require_user(
    bearer: Bearer,
    State(tokens): State<Tokens>,
    mut req: Request,
    next: Next,
) -> Result<Response, Problem> {
    let name = tokens.0.get(bearer.token()).ok_or_else(|| {
        Problem::new(StatusCode::UNAUTHORIZED).with_detail("unknown or expired token")
    })?;
    req.extensions_mut().insert(User {
        name: (*name).to_owned(),
    });
    Ok(next.run(req).await)
}

/// Tells the client whom the server took it for; runs after `require_user`,
/// which provides the `User`.
#[middleware]
async fn signed_in_as(Extension(user): Extension<User>, req: Request, next: Next) -> Response {
    let mut response = next.run(req).await;
    if let Ok(name) = user.name.parse() {
        response.headers_mut().insert("x-signed-in-as", name);
    }
    response
}

#[get("/hello")]
async fn hello(Extension(id): Extension<RequestIdValue>) -> String {
    format!("hello; your request id is {}\n", id.as_str())
}

#[get("/me")]
async fn me(Extension(user): Extension<User>) -> String {
    format!("signed in as {}\n", user.name)
}

#[tokio::main]
async fn main() {
    tracing_subscriber_init();
    let tokens = Tokens(Arc::new(HashMap::from([("secret-ada", "ada")])));
    let app = App::new()
        .state(tokens)
        .wrap(RequestId::new())
        .wrap(AccessLog::new())
        .wrap(Timeout::new(Duration::from_secs(30)))
        .group(Group::new("/public").mount("/", routes![hello]))
        .group(
            Group::new("/api")
                // One future, composed at compile time, in the order written.
                .wrap((require_user, signed_in_as))
                .mount("/", routes![me]),
        );
    match app.routes() {
        Ok(table) => table.iter().for_each(|route| println!("{route}")),
        Err(error) => return eprintln!("{error}"),
    }
    println!("waypost listening on http://127.0.0.1:8080");
    if let Err(error) = app.serve("127.0.0.1:8080").await {
        eprintln!("{error}");
    }
}

/// Prints access-log events to stderr; a real service would install
/// `tracing-subscriber` (kept out of waypost's dependencies here).
fn tracing_subscriber_init() {
    struct Stderr;
    impl tracing::Subscriber for Stderr {
        fn enabled(&self, metadata: &tracing::Metadata<'_>) -> bool {
            metadata.target() == "waypost::access"
        }
        fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
            tracing::span::Id::from_u64(1)
        }
        fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
        fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
        fn event(&self, event: &tracing::Event<'_>) {
            struct Line(String);
            impl tracing::field::Visit for Line {
                fn record_debug(
                    &mut self,
                    field: &tracing::field::Field,
                    value: &dyn std::fmt::Debug,
                ) {
                    self.0.push_str(&format!(" {}={:?}", field.name(), value));
                }
            }
            let mut line = Line("access:".to_owned());
            event.record(&mut line);
            eprintln!("{}", line.0);
        }
        fn enter(&self, _: &tracing::span::Id) {}
        fn exit(&self, _: &tracing::span::Id) {}
    }
    let _ = tracing::subscriber::set_global_default(Stderr);
}
