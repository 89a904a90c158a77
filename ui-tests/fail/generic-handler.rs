#[waypost::get("/")]
async fn index<T: Default>() -> &'static str {
    "hello"
}

fn main() {}
