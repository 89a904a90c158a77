// An extractor whose bound is unmet is reported once, at the argument.
use std::rc::Rc;
use std::sync::Mutex;
use waypost::{get, post, Json, State};

struct NewUser {
    name: String,
}

#[post("/users")]
async fn create(Json(user): Json<NewUser>) -> String {
    user.name
}

#[get("/count")]
async fn count(State(counter): State<Mutex<u64>>) -> String {
    counter.lock().unwrap().to_string()
}

#[get("/shared")]
async fn shared(State(value): State<Rc<u64>>) -> String {
    value.to_string()
}

#[post("/echo")]
async fn echo(text: &str) -> String {
    text.to_owned()
}

fn main() {}
