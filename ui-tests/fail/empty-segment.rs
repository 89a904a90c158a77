#[waypost::get("/users//posts")]
async fn posts() {}

fn main() {}
