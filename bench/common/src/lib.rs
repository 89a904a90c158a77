//! What every benchmark server shares: the payloads, the address, the runtime.

use serde::{Deserialize, Serialize};

/// The `/plaintext` body: 13 bytes.
pub const PLAINTEXT: &str = "Hello, World!";
/// The content type of text answers, the same in every server.
pub const TEXT_PLAIN: &str = "text/plain; charset=utf-8";
/// The content type of JSON answers.
pub const APPLICATION_JSON: &str = "application/json";

/// The `/json` payload, serialized per request.
#[derive(Serialize)]
pub struct Message {
    pub message: &'static str,
}

impl Message {
    pub fn hello() -> Self {
        Message { message: PLAINTEXT }
    }
}

/// The `/echo` payload: parsed from the request and serialized back.
#[derive(Serialize, Deserialize)]
pub struct EchoBody {
    pub id: u64,
    pub name: String,
    pub tags: Vec<String>,
    pub active: bool,
}

/// The body of `/users/{id}`.
pub fn user_text(id: u64) -> String {
    format!("user {id}")
}

/// `127.0.0.1:$PORT`, 8080 by default.
pub fn address() -> std::net::SocketAddr {
    let port = std::env::var("PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(8080);
    std::net::SocketAddr::from(([127, 0, 0, 1], port))
}

/// A tokio runtime with one worker thread, as every Rust server uses.
pub fn one_worker_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("tokio runtime")
}

pub mod generated {
    //! Route tables generated from `bench/routes.txt` by `build.rs`.
    pub mod paths {
        include!(concat!(env!("OUT_DIR"), "/paths_routes.rs"));
    }
}
