// A handler that no `routes![]` lists is unused code, and says so like any
// unused function (denied here so that the warning shows as an error).
#![deny(dead_code)]

#[waypost::get("/forgotten")]
async fn forgotten() -> &'static str {
    "nobody mounts me"
}

#[waypost::get("/mounted")]
async fn mounted() -> &'static str {
    "ok"
}

fn main() {
    let _app = waypost::App::new().mount("/", waypost::routes![mounted]);
}
