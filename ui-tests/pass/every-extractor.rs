//! Every extractor waypost provides, with `Option` and `Result` around them.

use std::collections::HashMap;

use waypost::{
    Bytes, Form, HeaderMap, Json, JsonRejection, Method, Query, QueryRejection, State, Uri,
};

#[derive(Clone)]
struct Db;

#[waypost::get("/parts/<id>/<rest..>")]
async fn parts(
    id: i32,
    rest: String,
    _headers: HeaderMap,
    _method: Method,
    _uri: Uri,
    _version: waypost::http::Version,
    _query: Query<HashMap<String, String>>,
    _state: State<Db>,
) -> String {
    format!("{id} {rest}")
}

#[waypost::post("/json")]
async fn json(_body: Json<serde_json::Value>) {}

#[waypost::post("/form")]
async fn form(_body: Form<HashMap<String, String>>) {}

#[waypost::post("/bytes")]
async fn bytes(_body: Bytes) {}

#[waypost::post("/string")]
async fn string(_body: String) {}

#[waypost::post("/optional")]
async fn optional(
    _body: Option<Json<serde_json::Value>>,
    _query: Result<Query<HashMap<String, u32>>, QueryRejection>,
) {
}

#[waypost::post("/result")]
async fn result(_body: Result<Json<serde_json::Value>, JsonRejection>) {}

#[waypost::get("/scalars/<a>/<b>/<c>/<d>/<e>/<f>/<g>/<h>/<i>/<j>/<k>/<l>/<m>/<n>/<o>/<p>")]
#[allow(clippy::too_many_arguments)]
async fn scalars(
    a: u8, b: u16, c: u32, d: u64, e: u128, f: usize,
    g: i8, h: i16, i: i32, j: i64, k: i128, l: isize,
    m: f32, n: f64, o: bool, p: char,
) -> String {
    format!("{a}{b}{c}{d}{e}{f}{g}{h}{i}{j}{k}{l}{m}{n}{o}{p}")
}

fn main() {
    let _ = waypost::routes![parts, json, form, bytes, string, optional, result, scalars];
}
