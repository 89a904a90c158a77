//! One mechanism for every rejection: a `to_problem` method gives the
//! problem+json answer, and from it `Display`, `Error` and `IntoResponse`.

/// Implements `Display` (the problem's detail), `std::error::Error` and
/// `IntoResponse` (the problem) for types with `fn to_problem(&self) -> Problem`.
macro_rules! rejection {
    ($($ty:ty),* $(,)?) => {$(
        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                let problem = self.to_problem();
                f.write_str(problem.detail().unwrap_or(problem.title()))
            }
        }

        impl std::error::Error for $ty {}

        impl $crate::response::IntoResponse for $ty {
            fn into_response(self) -> $crate::response::Response {
                $crate::response::IntoResponse::into_response(self.to_problem())
            }
        }
    )*};
}

pub(crate) use rejection;
