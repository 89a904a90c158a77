// Parameters in another framework's syntax would be matched as literal text.
#[waypost::get("/users/{name}")]
async fn by_name(name: String) -> String {
    name
}

#[waypost::get("/posts/:slug/files/*rest")]
async fn post_file(slug: String, rest: String) -> String {
    format!("{slug}/{rest}")
}

// A parameter inside a segment, in braces, as actix writes it.
#[waypost::get("/reports/{id}.json")]
async fn report(id: u64) -> String {
    id.to_string()
}

fn main() {}
