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

/// Absent from this build.
#[waypost::get("/absent")]
#[cfg(any())]
async fn absent() {}

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
    let table = waypost::routes![Api::health, traced, old, id];
    assert_eq!(table.len(), 4);
    // Called directly, a handler is its future, as an `async fn` is.
    let _future = Api::health();
    let _future = id(7);
}
