// Parameters in another framework's syntax would be matched as literal text.
#[waypost::get("/users/{name}")]
async fn by_name(name: String) -> String {
    name
}

#[waypost::get("/posts/:slug/files/*rest")]
async fn post_file(slug: String, rest: String) -> String {
    format!("{slug}/{rest}")
}

fn main() {}
