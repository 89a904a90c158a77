use waypost::get;

async fn audit() {}

#[get("/reports", wrap = [audit])]
async fn reports() -> &'static str {
    "[]"
}

fn main() {}
