#[waypost::get(items)]
async fn items() {}

fn main() {}
