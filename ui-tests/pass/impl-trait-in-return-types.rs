// `impl Trait` inside a return type: the expansion must not name it.
use waypost::{get, routes, App, IntoResponse, Json, Problem, StatusCode};

#[get("/result")]
async fn result(fail: waypost::Query<Fail>) -> Result<impl IntoResponse, Problem> {
    if fail.0.yes {
        return Err(Problem::new(StatusCode::BAD_REQUEST));
    }
    Ok((StatusCode::CREATED, "made"))
}

#[get("/json")]
async fn json() -> Json<impl serde::Serialize> {
    Json(vec![1, 2, 3])
}

#[get("/plain")]
async fn plain() -> impl IntoResponse {
    "plain"
}

#[get("/tuple")]
async fn tuple() -> (StatusCode, impl IntoResponse) {
    (StatusCode::ACCEPTED, "later")
}

#[derive(serde::Deserialize)]
struct Fail {
    yes: bool,
}

fn main() {
    let _app = App::new().mount("/", routes![result, json, plain, tuple]);
}
