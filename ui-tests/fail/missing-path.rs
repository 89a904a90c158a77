#[waypost::get]
async fn items() {}

fn main() {}
