#[waypost::get("/users/<id>/friends/<id>")]
async fn friend(id: u64) -> String {
    id.to_string()
}

fn main() {}
