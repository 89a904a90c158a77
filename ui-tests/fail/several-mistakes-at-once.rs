#[waypost::route("/users/<id>/<id", method = "FETCH", mehtod = "GET")]
fn user() {}

fn main() {}
