// `Option<E>` needs `E` to say what "absent" means (OptionalFromRequestParts).
use waypost::{FromRequestParts, Problem, RequestParts, StatusCode};

struct Tenant(String);

impl FromRequestParts for Tenant {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut RequestParts) -> Result<Self, Problem> {
        parts
            .head()
            .headers
            .get("x-tenant")
            .and_then(|value| value.to_str().ok())
            .map(|value| Tenant(value.to_owned()))
            .ok_or_else(|| Problem::new(StatusCode::BAD_REQUEST))
    }
}

#[waypost::get("/")]
async fn index(tenant: Option<Tenant>) -> String {
    tenant.map(|Tenant(name)| name).unwrap_or_default()
}

fn main() {}
