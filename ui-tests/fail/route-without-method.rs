#[waypost::route("/items")]
async fn items() {}

fn main() {}
