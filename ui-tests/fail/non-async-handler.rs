#[waypost::get("/")]
fn index() -> &'static str {
    "hello"
}

fn main() {}
