struct Api;

impl Api {
    #[waypost::get("/me")]
    async fn me(&self) -> &'static str {
        "me"
    }

    // An associated function is a handler, but it is served on its own:
    // it cannot name `Self`.
    #[waypost::get("/new")]
    async fn create() -> String {
        Self::describe()
    }

    fn describe() -> String {
        String::from("api")
    }
}

fn main() {}
