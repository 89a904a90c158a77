//! The benchmark endpoints and the GitHub-shaped route table, served by actix-web.

use actix_web::{web, App, HttpResponse, HttpServer};
use bench_common::{
    address, user_text, EchoBody, Message, APPLICATION_JSON, PLAINTEXT, TEXT_PLAIN,
};

mod github {
    include!(concat!(env!("OUT_DIR"), "/actix_routes.rs"));
}

async fn plaintext() -> HttpResponse {
    HttpResponse::Ok().content_type(TEXT_PLAIN).body(PLAINTEXT)
}

async fn json() -> HttpResponse {
    let body = serde_json::to_vec(&Message::hello()).unwrap();
    HttpResponse::Ok().content_type(APPLICATION_JSON).body(body)
}

async fn echo(body: web::Json<EchoBody>) -> HttpResponse {
    let body = serde_json::to_vec(&body.into_inner()).unwrap();
    HttpResponse::Ok().content_type(APPLICATION_JSON).body(body)
}

async fn user(id: web::Path<u64>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(TEXT_PLAIN)
        .body(user_text(id.into_inner()))
}

fn main() -> std::io::Result<()> {
    actix_web::rt::System::new().block_on(async {
        HttpServer::new(|| {
            App::new()
                .route("/plaintext", web::get().to(plaintext))
                .route("/json", web::get().to(json))
                .route("/echo", web::post().to(echo))
                .route("/users/{id}", web::get().to(user))
                .configure(github::github_routes)
        })
        .workers(1)
        .bind(address())?
        .run()
        .await
    })
}
