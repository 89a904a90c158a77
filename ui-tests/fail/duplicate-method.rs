#[waypost::route("/items", method = "GET", method = "GET")]
async fn items() {}

fn main() {}
