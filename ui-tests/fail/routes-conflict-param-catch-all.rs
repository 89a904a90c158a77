#[waypost::get("/files/<name>")]
async fn file(name: String) -> String {
    name
}

#[waypost::get("/files/<name>/meta")]
async fn meta(name: String) -> String {
    name
}

#[waypost::delete("/files/<rest..>")]
async fn delete_tree(rest: std::path::PathBuf) -> String {
    rest.display().to_string()
}

fn main() {
    let _ = waypost::routes![file, meta, delete_tree];
}
