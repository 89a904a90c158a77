struct User {
    name: String,
}

#[waypost::get("/user")]
async fn user() -> User {
    User { name: "ada".into() }
}

fn main() {}
