#[waypost::get("/users/<id>/posts/<post>")]
async fn post(id: u64) -> String {
    id.to_string()
}

fn main() {}
