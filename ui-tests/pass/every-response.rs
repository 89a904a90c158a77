//! Every response type a handler may return.

use waypost::{
    Body, Bytes, HeaderMap, Html, Json, Problem, Redirect, Response, StatusCode,
};

#[waypost::get("/a")]
async fn a() -> &'static str { "a" }
#[waypost::get("/b")]
async fn b() -> String { String::new() }
#[waypost::get("/c")]
async fn c() -> Bytes { Bytes::new() }
#[waypost::get("/d")]
async fn d() -> Vec<u8> { Vec::new() }
#[waypost::get("/e")]
async fn e() -> Json<Vec<u32>> { Json(vec![1]) }
#[waypost::get("/f")]
async fn f() -> Html<String> { Html(String::new()) }
#[waypost::get("/g")]
async fn g() -> Redirect { Redirect::to("/") }
#[waypost::get("/h")]
async fn h() -> StatusCode { StatusCode::NO_CONTENT }
#[waypost::get("/i")]
async fn i() -> (StatusCode, Json<u8>) { (StatusCode::CREATED, Json(1)) }
#[waypost::get("/j")]
async fn j() -> (StatusCode, HeaderMap, &'static str) { (StatusCode::OK, HeaderMap::new(), "") }
#[waypost::get("/k")]
async fn k() -> (StatusCode, [(&'static str, &'static str); 1], String) {
    (StatusCode::OK, [("x-a", "b")], String::new())
}
#[waypost::get("/l")]
async fn l() -> Response { Response::new(Body::empty()) }
#[waypost::get("/m")]
async fn m() {}
#[waypost::get("/n")]
async fn n() -> Result<Json<u8>, Problem> { Ok(Json(1)) }
#[waypost::get("/o")]
async fn o() -> Problem { Problem::new(StatusCode::GONE) }
#[waypost::get("/p")]
async fn p() -> ([(&'static str, &'static str); 1], Html<&'static str>) { ([("x-a", "b")], Html("")) }
#[waypost::get("/q")]
async fn q() -> Result<String, StatusCode> { Err(StatusCode::BAD_REQUEST) }
#[waypost::get("/r")]
async fn r() -> Body { Body::from("r") }

fn main() {
    let _ = waypost::routes![a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p, q, r];
}
