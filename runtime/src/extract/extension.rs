//! Values that middleware insert into a request, taken by handlers.

use http::StatusCode;

use super::rejection::rejection;
use super::{FromRequestParts, OptionalFromRequestParts, StateNeeds};
use crate::problem::Problem;
use crate::request::RequestParts;
use crate::response::Response;

/// A clone of the value of type `T` that a middleware inserted into the
/// request's extensions.
///
/// A middleware declares what it inserts with `#[middleware(provides = T)]`;
/// `App::build` refuses a handler that takes `Extension<T>` when nothing on
/// its chain provides `T`, so a missing value is a bug in that middleware
/// (a declared value it did not insert): the client gets 500 and the log says which.
///
/// ```
/// use waypost::{get, middleware, Extension, Next, Request, Response};
///
/// #[derive(Clone)]
/// struct User { name: String }
///
/// #[middleware(provides = User)]
/// async fn authenticate(mut req: Request, next: Next) -> Response {
///     req.extensions_mut().insert(User { name: "ada".into() });
///     next.run(req).await
/// }
///
/// #[get("/me")]
/// async fn me(Extension(user): Extension<User>) -> String { user.name }
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Extension<T>(pub T);

/// A declared extension was not in the request: 500, logged with the type and route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtensionRejection {
    /// The missing type.
    pub type_name: &'static str,
    /// The route, `module::handler` (file:line), if one was matched.
    pub route: Option<String>,
}

impl ExtensionRejection {
    /// The problem this rejection answers with.
    pub fn to_problem(&self) -> Problem {
        // The type and route are for the log: a client learns only that the server failed.
        Problem::new(StatusCode::INTERNAL_SERVER_ERROR)
            .with_detail("the server failed to prepare this request for its handler")
    }
}

impl ExtensionRejection {
    /// Logged here, when the rejection becomes the 500: an `Option<Extension<T>>`
    /// that finds nothing is no one's mistake and is not logged.
    fn log(&self, _response: &mut Response) {
        tracing::error!(
            extension = self.type_name,
            route = self.route.as_deref().unwrap_or("(none)"),
            "a middleware declared `provides` for this extension but did not insert it"
        );
    }
}

rejection!(ExtensionRejection, finish = ExtensionRejection::log);

impl<T: Clone + Send + Sync + 'static> FromRequestParts for Extension<T> {
    type Rejection = ExtensionRejection;

    async fn from_request_parts(parts: &mut RequestParts) -> Result<Self, ExtensionRejection> {
        match parts.head().extensions.get::<T>() {
            Some(value) => Ok(Extension(value.clone())),
            None => Err(ExtensionRejection {
                type_name: std::any::type_name::<T>(),
                route: parts.route().map(|route| route.describe()),
            }),
        }
    }

    fn required(needs: &mut StateNeeds) {
        needs.require_extension::<T>();
    }
}

/// `None` when no middleware inserted a `T`.
impl<T: Clone + Send + Sync + 'static> OptionalFromRequestParts for Extension<T> {
    async fn from_request_parts_optional(
        parts: &mut RequestParts,
    ) -> Result<Option<Self>, ExtensionRejection> {
        Ok(parts.head().extensions.get::<T>().cloned().map(Extension))
    }
}
