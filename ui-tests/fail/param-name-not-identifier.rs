#[waypost::get("/users/<user-id>")]
async fn user() {}

fn main() {}
