//! A handler keeps its attributes where they mean what they say, may be an
//! associated function, and may take an argument named like itself.
#![deny(warnings)]

struct Api;

impl Api {
    /// An associated function without `self` is a handler like any other.
    #[waypost::get("/api/health")]
    pub async fn health() -> &'static str {
        "ok"
    }
}

/// Documented, instrumented, with lints about its body.
#[waypost::get("/traced/<id>")]
#[tracing::instrument]
#[expect(unused_variables)]
async fn traced(id: u64) -> String {
    let unused = 1;
    id.to_string()
}

/// Nobody mounts it, and says so.
#[waypost::get("/spare")]
#[expect(dead_code)]
async fn spare() {}

/// Nobody mounts it, and its body has an unused variable: both expected.
#[waypost::get("/spare/<id>")]
#[expect(dead_code, unused_variables)]
async fn spare_with_unused(id: u64) {
    let unused = id;
}

/// Mounted, with an unused variable, under the `unused` group.
#[waypost::get("/grouped")]
#[expect(unused)]
async fn grouped() {
    let unused = 1;
}

/// A function type in an argument keeps its own (higher-ranked) lifetime.
#[waypost::get("/shout/<word>")]
async fn shout(word: String, waypost::State(upper): waypost::State<fn(&str) -> String>) -> String {
    upper(&word)
}

fn upper(text: &str) -> String {
    text.to_uppercase()
}

#[waypost::get("/old")]
#[deprecated = "use `traced`"]
async fn old() {}

/// An argument named like its handler.
#[waypost::get("/ids/<id>")]
async fn id(id: u64) -> String {
    id.to_string()
}

fn main() {
    #[allow(deprecated)]
    let table = waypost::routes![Api::health, traced, old, id, grouped, shout];
    assert_eq!(table.len(), 6);
    let app = waypost::App::new()
        .state(upper as fn(&str) -> String)
        .mount("/", table);
    assert!(app.build().is_ok());
    // Called directly, a handler is its future, as an `async fn` is.
    let _future = Api::health();
    let _future = id(7);
}
