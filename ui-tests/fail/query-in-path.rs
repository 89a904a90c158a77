#[waypost::get("/search?q=<q>")]
async fn search() {}

fn main() {}
