#[waypost::route("/items", methods = "GET")]
async fn items() {}

fn main() {}
