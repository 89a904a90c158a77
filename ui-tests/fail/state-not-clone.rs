// App state is cloned for every handler that takes it: a `Mutex` needs an `Arc`.
use std::sync::Mutex;
use waypost::{get, routes, App, State};

struct Store {
    items: Vec<String>,
}

#[get("/items")]
async fn items(State(store): State<Mutex<Store>>) -> String {
    store.lock().unwrap().items.join(",")
}

fn main() {
    let _app = App::new()
        .state(Mutex::new(Store { items: Vec::new() }))
        .mount("/", routes![items]);
}
