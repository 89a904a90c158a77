#[waypost::route("/items", method = "FETCH")]
async fn items() {}

fn main() {}
