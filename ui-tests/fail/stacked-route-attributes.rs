// Two route attributes on one handler: one error, pointing to `#[route]`.
#[waypost::get("/items")]
#[waypost::post("/items")]
async fn items() -> &'static str {
    "items"
}

fn main() {
    let _app = waypost::App::new().mount("/", waypost::routes![items]);
}
