//! Uploads, downloads and a static directory on 127.0.0.1:8080.
//!
//! - `GET /`: a form to upload files, and the files uploaded so far;
//! - `POST /upload`: a multipart form, each file streamed to disk under a
//!   safe name (never over another file, never outside the directory), with
//!   limits: 100 MiB per file, 110 MiB per request;
//! - `GET /download/<path..>`: an uploaded file as a download, with ranges
//!   (resume it with `curl -C - -O localhost:8080/download/name`) and
//!   conditional requests;
//! - `GET /static/`: `examples/assets/`, served by `App::files`.
//!
//! Run it with `cargo run --example files` and open http://127.0.0.1:8080, or
//! from a shell: `curl -F file=@Cargo.toml localhost:8080/upload`, then
//! `curl -r 0-99 localhost:8080/download/Cargo.toml`.
//! `FILES_ADDR` sets where it listens (`127.0.0.1:0` picks a free port);
//! `FILES_UPLOAD_DIR` where uploads go (a `waypost-uploads` directory in the
//! system's temporary directory unless set).

use std::path::PathBuf;

use waypost::files::{FileError, NamedFile};
use waypost::multipart::{Multipart, MultipartError, MultipartLimits};
use waypost::{get, post, routes, App, Html, Redirect, State};

const MIB: u64 = 1024 * 1024;

/// Where uploads are written.
#[derive(Clone)]
struct Uploads(PathBuf);

#[get("/")]
async fn page(State(Uploads(dir)): State<Uploads>) -> Result<Html<String>, FileError> {
    let mut names = Vec::new();
    let mut entries = tokio::fs::read_dir(&dir).await?;
    while let Some(entry) = entries.next_entry().await? {
        names.push(entry.file_name().to_string_lossy().into_owned());
    }
    names.sort();
    let items: String = names
        .iter()
        .map(|name| {
            let name = escape(name);
            format!("<li><a href=\"/download/{name}\">{name}</a></li>")
        })
        .collect();
    Ok(Html(PAGE.replace("{items}", &items)))
}

/// Saves every file of the form; text fields are ignored.
#[post("/upload", wrap = [MultipartLimits::new().file(100 * MIB).body(110 * MIB)])]
async fn upload(
    State(Uploads(dir)): State<Uploads>,
    mut form: Multipart,
) -> Result<Redirect, MultipartError> {
    while let Some(field) = form.next_field().await? {
        if field.file_name().is_some() {
            let saved = field.save_in(&dir).await?;
            tracing::info!(
                name = saved.file_name(),
                bytes = saved.size(),
                "saved an upload"
            );
        }
    }
    Ok(Redirect::to("/"))
}

/// An uploaded file, as a download. `PathBuf` refuses `..`, encoded
/// separators and hidden files with 400, so the path stays in the directory.
#[get("/download/<path..>")]
async fn download(
    path: PathBuf,
    State(Uploads(dir)): State<Uploads>,
) -> Result<NamedFile, FileError> {
    let name = path
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    Ok(NamedFile::open(dir.join(&path)).await?.attachment(&name))
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt().init();
    let uploads = std::env::var_os("FILES_UPLOAD_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("waypost-uploads"));
    std::fs::create_dir_all(&uploads)?;
    let assets = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/assets");
    let app = App::new()
        .state(Uploads(uploads.clone()))
        .mount("/", routes![page, upload, download])
        .files("/static", assets);
    let addr = std::env::var("FILES_ADDR").unwrap_or_else(|_| "127.0.0.1:8080".to_owned());
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!(
        "files on http://{} (uploads in {})",
        listener.local_addr()?,
        uploads.display()
    );
    app.serve_listener(listener).await?;
    Ok(())
}

const PAGE: &str = r#"<!doctype html>
<meta charset="utf-8">
<title>waypost files</title>
<link rel="stylesheet" href="/static/site.css">
<h1>Files</h1>
<form action="/upload" method="post" enctype="multipart/form-data">
  <input type="file" name="file" multiple> <button>upload</button>
</form>
<ul>{items}</ul>
<p><a href="/static/">The static directory</a></p>
"#;
