//! Arguments written as patterns, as axum users write them.

use serde::Deserialize;
use waypost::{Form, Json, Query, State};

#[derive(Clone)]
struct Db {
    name: &'static str,
}

#[derive(Deserialize)]
struct NewUser {
    name: String,
}

#[derive(Deserialize)]
struct Page {
    offset: u32,
}

#[waypost::post("/users/<id>")]
async fn create(
    id: u64,
    State(Db { name }): State<Db>,
    Query(Page { offset }): Query<Page>,
    Json(NewUser { name: user }): Json<NewUser>,
) -> String {
    format!("{id} {name} {offset} {user}")
}

#[waypost::post("/forms")]
async fn form(Form(user): Form<NewUser>, State(db): State<Db>) -> String {
    format!("{} {}", user.name, db.name)
}

#[waypost::get("/mut/<count>")]
async fn mutable(mut count: u32, _unused: waypost::Method) -> String {
    count += 1;
    count.to_string()
}

fn main() {
    let app = waypost::App::new()
        .mount("/", waypost::routes![create, form, mutable])
        .state(Db { name: "db" });
    app.build().unwrap();
}
