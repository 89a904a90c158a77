#[waypost::get("/users")]
async fn list_users() {}

#[waypost::get("/users")]
async fn all_users() {}

fn main() {
    let _ = waypost::routes![list_users, all_users];
}
