#[waypost::get("/users/<ids>")]
async fn users(ids: Vec<u64>) -> String {
    format!("{ids:?}")
}

fn main() {}
