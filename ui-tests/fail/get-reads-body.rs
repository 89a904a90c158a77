// GET carries no body: an argument that would read one is refused.
use waypost::Json;

#[derive(serde::Deserialize)]
struct Filter {
    name: String,
}

// Meant as a path parameter, but the path has no `<id>`: `String` would read the body.
#[waypost::get("/users")]
async fn user(id: String) -> String {
    id
}

#[waypost::get("/search")]
async fn search(Json(filter): Json<Filter>) -> String {
    filter.name
}

fn main() {}
