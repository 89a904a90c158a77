struct Api;

impl Api {
    #[waypost::get("/")]
    async fn index(&self) -> &'static str {
        "hello"
    }
}

fn main() {}
