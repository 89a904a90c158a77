//! Every route attribute, handlers in modules, raw identifiers, and a table
//! whose routes share shapes only across different methods.

mod users {
    #[waypost::get("/users/<id>")]
    pub async fn show(id: u64) -> String {
        id.to_string()
    }

    #[waypost::delete("/users/<name>")]
    pub(crate) async fn remove(name: String) -> String {
        name
    }
}

#[waypost::post("/a")]
async fn post() {}
#[waypost::put("/a")]
async fn put() {}
#[waypost::patch("/a")]
async fn patch() {}
#[waypost::head("/a")]
async fn head() {}
#[waypost::options("/a")]
async fn options() {}
#[waypost::route("/b", method = "GET", method = "POST", method = "TRACE")]
async fn many() {}
#[waypost::get("/type/<type>")]
async fn r#type(r#type: String) -> String {
    r#type
}
#[waypost::get("/files/<path..>")]
async fn files(path: String) -> String {
    path
}
#[waypost::get("/trailing/")]
async fn trailing() {}
#[waypost::get("/")]
async fn root() {}

fn main() {
    let table = waypost::routes![
        users::show,
        users::remove,
        post,
        put,
        patch,
        head,
        options,
        many,
        r#type,
        files,
        trailing,
        root,
    ];
    assert_eq!(table.len(), 12);
}
