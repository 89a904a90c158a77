//! How `routes![get_user]` finds the route of `get_user` from the function alone.
//!
//! A route attribute keeps the user's `async fn` as it is, nested inside a
//! function of the same name and arguments that returns its future wrapped in
//! a [`RoutedFuture`]. That future's type names a local type implementing
//! [`RouteOf`], which holds the route; the outer function's return type
//! promises [`Routed`] (`impl RouteFuture<Output = T>`), which [`route_of`] reads in
//! `const` evaluation.
//!
//! So `routes![]` needs nothing but the function, found where Rust finds
//! functions (the value namespace):
//! - `use` and re-exports carry the route with the function;
//! - a module, type or import named like the handler never gets in the way;
//! - a misspelled or private handler is reported once, as the function it is;
//! - a handler nobody mounts is an unused function, and rustc says so.
//!
//! The router never calls the outer function: the shim calls the user's
//! function directly, so none of this costs anything per request.

use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::route::Route;

/// The route of one handler, implemented by a type local to the handler's
/// generated function.
pub trait RouteOf {
    /// The handler's route.
    const ROUTE: Route;
}

/// The future a route handler's function returns: it knows its route.
pub trait Routed {
    /// The handler's route.
    const ROUTE: Route;
}

/// What a route handler's function returns (`impl RouteFuture<Output = T>`):
/// a future of `T` that knows its route. Called directly, `get_user(1, state).await` gives the handler's
/// output, as from any `async fn`.
pub trait RouteFuture: Future + Routed {}

impl<F: Future + Routed> RouteFuture for F {}

pin_project_lite::pin_project! {
    /// The user's handler future, unchanged, tagged with its route `R`.
    pub struct RoutedFuture<R, F> {
        #[pin]
        future: F,
        route: PhantomData<fn() -> R>,
    }
}

impl<R, F> RoutedFuture<R, F> {
    /// Tags `future` with the route `R`.
    #[inline]
    pub fn new(future: F) -> Self {
        RoutedFuture {
            future,
            route: PhantomData,
        }
    }
}

impl<R: RouteOf, F> Routed for RoutedFuture<R, F> {
    const ROUTE: Route = R::ROUTE;
}

impl<R, F: Future> Future for RoutedFuture<R, F> {
    type Output = F::Output;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        self.project().future.poll(cx)
    }
}

/// A function declared with a route attribute, taking arguments `Args`
/// (at most 16, which the route attributes check).
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a route handler",
    label = "not a route handler",
    note = "`routes![]` lists `async fn`s declared with a route attribute, such as `#[waypost::get(\"/\")]`"
)]
pub trait RouteHandler<Args> {
    /// The future the function returns.
    type Future: Routed;
}

macro_rules! route_handler {
    ($($arg:ident),*) => {
        #[diagnostic::do_not_recommend]
        impl<H, Fut, $($arg),*> RouteHandler<($($arg,)*)> for H
        where
            H: Fn($($arg),*) -> Fut,
            Fut: Routed,
        {
            type Future = Fut;
        }
    };
}

route_handler!();
route_handler!(A1);
route_handler!(A1, A2);
route_handler!(A1, A2, A3);
route_handler!(A1, A2, A3, A4);
route_handler!(A1, A2, A3, A4, A5);
route_handler!(A1, A2, A3, A4, A5, A6);
route_handler!(A1, A2, A3, A4, A5, A6, A7);
route_handler!(A1, A2, A3, A4, A5, A6, A7, A8);
route_handler!(A1, A2, A3, A4, A5, A6, A7, A8, A9);
route_handler!(A1, A2, A3, A4, A5, A6, A7, A8, A9, A10);
route_handler!(A1, A2, A3, A4, A5, A6, A7, A8, A9, A10, A11);
route_handler!(A1, A2, A3, A4, A5, A6, A7, A8, A9, A10, A11, A12);
route_handler!(A1, A2, A3, A4, A5, A6, A7, A8, A9, A10, A11, A12, A13);
route_handler!(A1, A2, A3, A4, A5, A6, A7, A8, A9, A10, A11, A12, A13, A14);
route_handler!(A1, A2, A3, A4, A5, A6, A7, A8, A9, A10, A11, A12, A13, A14, A15);
route_handler!(A1, A2, A3, A4, A5, A6, A7, A8, A9, A10, A11, A12, A13, A14, A15, A16);

/// The route of `handler`, in `const` evaluation: what `routes![handler]` lists.
pub const fn route_of<H: RouteHandler<Args>, Args>(_handler: &H) -> Route {
    <H::Future as Routed>::ROUTE
}
