struct Api;

impl Api {
    #[waypost::get("/me")]
    async fn me(&self) -> &'static str {
        "me"
    }
}

fn main() {}
