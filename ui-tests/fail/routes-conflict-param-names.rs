#[waypost::get("/users/<id>")]
async fn by_id(id: u64) -> String {
    id.to_string()
}

#[waypost::route("/users/<name>", method = "POST", method = "GET")]
async fn by_name(name: String) -> String {
    name
}

fn main() {
    let _ = waypost::routes![by_id, by_name];
}
