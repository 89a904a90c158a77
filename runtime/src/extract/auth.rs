//! `Authorization` credentials: `Bearer` tokens and `Basic` user and password.

use base64::Engine as _;
use http::{header, HeaderValue, StatusCode};

use super::rejection::rejection;
use super::{FromRequestParts, OptionalFromRequestParts};
use crate::problem::Problem;
use crate::request::RequestParts;
use crate::response::Response;

/// The token of an `Authorization: Bearer <token>` header.
///
/// Absent or malformed (a token holds letters, digits and `-._~+/`, then
/// any `=`: RFC 6750), the request is answered 401 problem+json with
/// `WWW-Authenticate: Bearer`. Take `Option<Bearer>` for optional auth.
///
/// ```
/// use waypost::{get, middleware::Bearer};
/// #[get("/me")]
/// async fn me(bearer: Bearer) -> String { format!("token of {} bytes", bearer.token().len()) }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bearer(String);

impl Bearer {
    /// The token.
    pub fn token(&self) -> &str {
        &self.0
    }
}

/// The user and password of an `Authorization: Basic <base64>` header.
///
/// Absent or malformed, the request is answered 401 problem+json with
/// `WWW-Authenticate: Basic realm="waypost"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BasicAuth {
    user: String,
    password: String,
}

impl BasicAuth {
    /// The user id.
    pub fn user(&self) -> &str {
        &self.user
    }

    /// The password.
    pub fn password(&self) -> &str {
        &self.password
    }
}

/// Missing or malformed credentials: 401 with a `WWW-Authenticate` challenge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthRejection {
    challenge: &'static str,
    detail: &'static str,
}

impl AuthRejection {
    /// The problem this rejection answers with.
    pub fn to_problem(&self) -> Problem {
        Problem::new(StatusCode::UNAUTHORIZED).with_detail(self.detail)
    }
}

impl AuthRejection {
    /// Adds the `WWW-Authenticate` challenge.
    fn challenge(&self, response: &mut Response) {
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static(self.challenge),
        );
    }
}

rejection!(AuthRejection, finish = AuthRejection::challenge);

/// The credentials after `scheme ` in `Authorization`, the scheme matched without case.
fn credentials<'a>(parts: &'a RequestParts, scheme: &str) -> Option<&'a str> {
    let value = parts
        .head()
        .headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (given, rest) = value.split_once(' ')?;
    given
        .eq_ignore_ascii_case(scheme)
        .then(|| rest.trim())
        .filter(|rest| !rest.is_empty())
}

/// A bearer token's syntax (RFC 6750 §2.1, `b64token`): letters, digits and
/// `-._~+/`, then any `=` padding. A space or a comma means a malformed
/// header (or several credentials run together), refused rather than
/// handed on as one token.
fn is_token68(token: &str) -> bool {
    let body = token.trim_end_matches('=');
    !body.is_empty()
        && body
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || b"-._~+/".contains(&byte))
}

impl FromRequestParts for Bearer {
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut RequestParts) -> Result<Self, AuthRejection> {
        credentials(parts, "Bearer")
            .filter(|token| is_token68(token))
            .map(|token| Bearer(token.to_owned()))
            .ok_or(AuthRejection {
                challenge: "Bearer",
                detail: "this resource needs an `Authorization: Bearer <token>` header",
            })
    }
}

/// `None` when there is no `Authorization` header; one that is there must
/// hold this scheme's credentials, well formed (else 401).
async fn when_authorization_present<T>(parts: &mut RequestParts) -> Result<Option<T>, AuthRejection>
where
    T: FromRequestParts<Rejection = AuthRejection>,
{
    if !parts.head().headers.contains_key(header::AUTHORIZATION) {
        return Ok(None);
    }
    T::from_request_parts(parts).await.map(Some)
}

impl OptionalFromRequestParts for Bearer {
    async fn from_request_parts_optional(
        parts: &mut RequestParts,
    ) -> Result<Option<Self>, AuthRejection> {
        when_authorization_present(parts).await
    }
}

impl OptionalFromRequestParts for BasicAuth {
    async fn from_request_parts_optional(
        parts: &mut RequestParts,
    ) -> Result<Option<Self>, AuthRejection> {
        when_authorization_present(parts).await
    }
}

impl FromRequestParts for BasicAuth {
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut RequestParts) -> Result<Self, AuthRejection> {
        let rejection = AuthRejection {
            challenge: "Basic realm=\"waypost\"",
            detail:
                "this resource needs an `Authorization: Basic <base64 of user:password>` header",
        };
        let encoded = credentials(parts, "Basic").ok_or_else(|| rejection.clone())?;
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .ok_or_else(|| rejection.clone())?;
        let (user, password) = decoded.split_once(':').ok_or(rejection)?;
        Ok(BasicAuth {
            user: user.to_owned(),
            password: password.to_owned(),
        })
    }
}
