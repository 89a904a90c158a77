//! One mechanism for every rejection: a `to_problem` method gives the
//! problem+json answer, and from it `Display`, `Error` and `IntoResponse`.

/// Implements `Display` (the problem's detail), `std::error::Error` and
/// `IntoResponse` (the problem) for types with `fn to_problem(&self) -> Problem`.
///
/// `rejection!(T, finish = T::method)` also passes the response to
/// `fn method(&self, &mut Response)` before it is sent: to add a header, or to
/// log what only a response that is sent should log.
macro_rules! rejection {
    ($ty:ty, finish = $finish:path) => {
        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                let problem = self.to_problem();
                f.write_str(problem.detail().unwrap_or(problem.title()))
            }
        }

        impl std::error::Error for $ty {}

        impl $crate::response::IntoResponse for $ty {
            fn into_response(self) -> $crate::response::Response {
                let mut response = $crate::response::IntoResponse::into_response(self.to_problem());
                $finish(&self, &mut response);
                response
            }
        }
    };
    ($($ty:ty),* $(,)?) => {$(
        rejection!($ty, finish = $crate::extract::rejection::no_finish);
    )*};
}

/// The `finish` of rejections that need none.
pub(crate) fn no_finish<T>(_: &T, _: &mut crate::response::Response) {}

pub(crate) use rejection;
