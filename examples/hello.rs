//! A small waypost server on 127.0.0.1:8080.
//!
//! Run it with `cargo run --example hello`, then try:
//! `curl localhost:8080/`, `curl localhost:8080/users/7`,
//! `curl -X POST localhost:8080/users -H 'content-type: application/json' -d '{"name":"Ada"}'`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use waypost::{get, post, routes, App, Json, Problem, State, StatusCode};

#[derive(Clone, Default)]
struct Counter(Arc<AtomicU64>);

#[derive(Serialize)]
struct User {
    id: u64,
    name: String,
}

#[derive(Deserialize)]
struct NewUser {
    name: String,
}

#[get("/")]
async fn index() -> &'static str {
    "Hello from waypost!\n"
}

#[get("/users/<id>")]
async fn get_user(id: u64) -> Result<Json<User>, Problem> {
    if id == 0 {
        return Err(Problem::new(StatusCode::NOT_FOUND).with_detail("there is no user 0"));
    }
    Ok(Json(User {
        id,
        name: format!("user {id}"),
    }))
}

#[post("/users")]
async fn create_user(
    State(counter): State<Counter>,
    Json(new): Json<NewUser>,
) -> (StatusCode, Json<User>) {
    let id = counter.0.fetch_add(1, Ordering::Relaxed) + 1;
    (StatusCode::CREATED, Json(User { id, name: new.name }))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let app = App::new()
        .mount("/", routes![index, get_user, create_user])
        .state(Counter::default());
    for route in app.routes()? {
        println!("  {route}");
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
    println!("waypost listening on http://{}", listener.local_addr()?);
    app.serve_listener(listener).await?;
    Ok(())
}
