#[waypost::get("/users/<>")]
async fn user() {}

fn main() {}
