#[waypost::get("/items", method = "POST")]
async fn items() {}

fn main() {}
