//! The benchmark endpoints on raw hyper with the same hyper-util setup waypost
//! uses: the floor, what the stack costs with no framework at all. Routing is
//! a hand-written `match` on the four measured paths.

use std::convert::Infallible;

use bench_common::{
    address, one_worker_runtime, user_text, EchoBody, Message, APPLICATION_JSON, PLAINTEXT,
    TEXT_PLAIN,
};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;

fn respond(content_type: &'static str, body: impl Into<Bytes>) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(body.into()));
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

fn status(status: StatusCode) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::new()));
    *response.status_mut() = status;
    response
}

async fn handle(request: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let response = match (request.method(), request.uri().path()) {
        (&Method::GET, "/plaintext") => respond(TEXT_PLAIN, PLAINTEXT),
        (&Method::GET, "/json") => respond(
            APPLICATION_JSON,
            serde_json::to_vec(&Message::hello()).unwrap(),
        ),
        (&Method::POST, "/echo") => {
            let bytes = match request.into_body().collect().await {
                Ok(body) => body.to_bytes(),
                Err(_) => return Ok(status(StatusCode::BAD_REQUEST)),
            };
            match serde_json::from_slice::<EchoBody>(&bytes) {
                Ok(echo) => respond(APPLICATION_JSON, serde_json::to_vec(&echo).unwrap()),
                Err(_) => status(StatusCode::UNPROCESSABLE_ENTITY),
            }
        }
        (&Method::GET, path) => match path.strip_prefix("/users/").map(str::parse::<u64>) {
            Some(Ok(id)) => respond(TEXT_PLAIN, user_text(id)),
            _ => status(StatusCode::NOT_FOUND),
        },
        _ => status(StatusCode::NOT_FOUND),
    };
    Ok(response)
}

fn main() {
    one_worker_runtime().block_on(async {
        let listener = tokio::net::TcpListener::bind(address())
            .await
            .expect("bind");
        let builder = auto::Builder::new(TokioExecutor::new());
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let _ = stream.set_nodelay(true);
            let builder = builder.clone();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(handle);
                let _ = builder
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
}
