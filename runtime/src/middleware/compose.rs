//! Middleware composed when the program is compiled: a tuple of
//! `#[middleware]` fns wrapped together runs as one future.
//!
//! Each middleware wrapped on its own is one step of a chain composed when
//! the app is built: its future is boxed, and `next.run` finds the next step
//! at run time. A tuple `(a, b, c)` is one step: `a`'s future holds `b`'s,
//! which holds `c`'s, all of one type the compiler sees whole, so the calls
//! between them are direct and can be inlined.

use std::future::Future;

use super::next::{Next, Rest};
use super::{Middleware, Provided};
use crate::extract::StateNeeds;
use crate::request::Request;
use crate::response::Response;
use crate::route::HandlerFuture;

/// A middleware that can run inside a tuple of middleware wrapped together,
/// with the rest of the tuple known at compile time. `#[middleware]`
/// implements it; so does a tuple of such middleware.
///
/// ```
/// use waypost::{get, middleware, routes, App, Next, Request, Response};
///
/// #[middleware]
/// async fn stamp(req: Request, next: Next) -> Response {
///     let mut response = next.run(req).await;
///     response.headers_mut().insert("x-stamp", "1".parse().unwrap());
///     response
/// }
///
/// #[middleware]
/// async fn audit(req: Request, next: Next) -> Response {
///     tracing::info!(path = req.uri().path(), "audited");
///     next.run(req).await
/// }
///
/// #[get("/")]
/// async fn index() -> &'static str { "hi" }
///
/// // The same order as `.wrap(stamp).wrap(audit)`, as one future.
/// let app = App::new().wrap((stamp, audit)).mount("/", routes![index]);
/// # let _ = app.build().unwrap();
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be composed in a tuple of middleware",
    label = "cannot be composed",
    note = "a tuple composes `#[middleware]` fns that use `next` only as `next.run(req).await`, or take `next: Next<impl Rest>`; wrap anything else on its own: `.wrap((a, b)).wrap(other)`"
)]
pub trait Compose: Middleware + Copy + std::fmt::Debug {
    /// Runs the middleware with the rest of the chain `next`.
    fn call_with<R: Rest>(
        self,
        req: Request,
        next: Next<R>,
    ) -> impl Future<Output = Response> + Send + 'static;
}

/// The rest of a tuple of middleware: `M`, then `R`.
#[derive(Debug, Clone, Copy)]
pub struct Then<M, R>(M, R);

impl<M, R> super::next::sealed::Sealed for Then<M, R> {}

impl<M: Compose, R: Rest> Rest for Then<M, R> {
    #[inline]
    fn run(self, req: Request) -> impl Future<Output = Response> + Send + 'static {
        self.0.call_with(req, Next::new(self.1))
    }
}

/// Implements `Compose` and `Middleware` for a tuple: its first middleware
/// runs with the rest of the tuple, then the rest of the chain, as what comes next.
macro_rules! compose_tuple {
    ($first:ident $($rest:ident)*) => {
        #[diagnostic::do_not_recommend]
        impl<$first: Compose, $($rest: Compose),*> Compose for ($first, $($rest,)*) {
            #[inline]
            #[allow(non_snake_case)]
            fn call_with<R: Rest>(
                self,
                req: Request,
                next: Next<R>,
            ) -> impl Future<Output = Response> + Send + 'static {
                let ($first, $($rest,)*) = self;
                compose_tuple!(@call $first req next $($rest)*)
            }
        }

        // Not recommended: a type that is not a middleware is told about
        // middleware, not about tuples (whose case the trait's notes cover).
        #[diagnostic::do_not_recommend]
        impl<$first: Compose, $($rest: Compose),*> Middleware for ($first, $($rest,)*) {
            fn call(&self, req: Request, next: Next) -> HandlerFuture {
                let this = *self;
                HandlerFuture::new_in(req, move |req| this.call_with(req, next))
            }

            fn name(&self) -> &'static str {
                std::any::type_name::<Self>()
            }

            #[allow(non_snake_case)]
            fn provides(&self, provided: &mut Provided) {
                let ($first, $($rest,)*) = self;
                $first.provides(provided);
                $($rest.provides(provided);)*
            }

            #[allow(non_snake_case)]
            fn required(&self, needs: &mut StateNeeds) {
                let ($first, $($rest,)*) = self;
                $first.required(needs);
                $($rest.required(needs);)*
            }

            #[allow(non_snake_case)]
            fn composed_of<'a>(&'a self, parts: &mut Vec<&'a dyn Middleware>) -> bool {
                let ($first, $($rest,)*) = self;
                if !$first.composed_of(parts) {
                    parts.push($first);
                }
                $(if !$rest.composed_of(parts) {
                    parts.push($rest);
                })*
                true
            }
        }
    };
    (@call $first:ident $req:ident $next:ident) => {
        $first.call_with($req, $next)
    };
    (@call $first:ident $req:ident $next:ident $second:ident) => {
        $first.call_with($req, Next::new(Then($second, $next.rest())))
    };
    (@call $first:ident $req:ident $next:ident $($rest:ident)+) => {
        $first.call_with($req, Next::new(Then(($($rest,)+), $next.rest())))
    };
}

compose_tuple!(A);
compose_tuple!(A B);
compose_tuple!(A B C);
compose_tuple!(A B C D);
compose_tuple!(A B C D E);
compose_tuple!(A B C D E F);
compose_tuple!(A B C D E F G);
compose_tuple!(A B C D E F G H);
