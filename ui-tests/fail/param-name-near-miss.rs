// An argument spelled almost like the path parameter it was meant to bind.
#[waypost::get("/users/<user_id>/posts/<slug>")]
async fn post(userid: u64, slug: String) -> String {
    format!("{userid} {slug}")
}

fn main() {}
