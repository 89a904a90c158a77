// A multipart form is the whole body: its text fields are read from it, not from another extractor.
use waypost::multipart::{Multipart, MultipartError};
use waypost::{post, Json};

#[derive(serde::Deserialize)]
struct Meta {
    title: String,
}

#[post("/upload")]
async fn upload(Json(meta): Json<Meta>, mut form: Multipart) -> Result<String, MultipartError> {
    let _ = form.next_field().await?;
    Ok(meta.title)
}

fn main() {}
