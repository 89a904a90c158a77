mod users {
    #[waypost::get("/users/<id>")]
    async fn get_user(id: u64) -> String {
        id.to_string()
    }
}

#[waypost::get("/")]
async fn index() {}

fn main() {
    let _ = waypost::routes![users::get_user];
    let _ = waypost::routes![idnex];
}
