// Return types that are almost responses: the notes say what to write.
use waypost::StatusCode;

#[waypost::get("/file")]
async fn file() -> Result<String, std::io::Error> {
    std::fs::read_to_string("/etc/hostname")
}

async fn load() -> String {
    "loaded".to_owned()
}

#[waypost::get("/future")]
async fn future() -> impl std::future::Future<Output = String> {
    load()
}

#[waypost::get("/created")]
async fn created() -> (&'static str, StatusCode) {
    ("made", StatusCode::CREATED)
}

fn main() {}
