#[waypost::route("/items", method = "get")]
async fn items() {}

fn main() {}
