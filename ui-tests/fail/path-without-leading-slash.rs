#[waypost::get("users")]
async fn users() {}

fn main() {}
