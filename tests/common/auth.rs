//! A middleware that provides a `User`, shared by the middleware tests.

use waypost::{middleware, HeaderMap, Next, Problem, Request, Response, StatusCode};

/// The signed-in user that `authenticate` inserts.
#[derive(Clone, Debug)]
pub struct User(pub String);

/// Inserts a `User` named by the `x-user` header; 401 without it.
#[middleware(provides = User)]
pub async fn authenticate(
    headers: HeaderMap,
    mut req: Request,
    next: Next,
) -> Result<Response, Problem> {
    let name = headers
        .get("x-user")
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| Problem::new(StatusCode::UNAUTHORIZED))?;
    req.extensions_mut().insert(User(name.to_owned()));
    Ok(next.run(req).await)
}
