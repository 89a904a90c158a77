//! Validation of a middleware's signature. Extractor arguments are checked
//! by the type system at their spans; the shape is checked here.

use syn::spanned::Spanned;
use syn::Type;

use crate::diagnostics::Diagnostics;
use crate::route::Handler;

const SHAPE: &str = "async fn name(extractors.., req: Request, next: Next) -> impl IntoResponse";

/// The last path segment of a type, such as `Next` for `waypost::Next`.
fn last_segment(ty: &Type) -> Option<String> {
    match ty {
        Type::Path(path) => path.path.segments.last().map(|s| s.ident.to_string()),
        _ => None,
    }
}

pub(crate) fn check(middleware: &Handler, diagnostics: &mut Diagnostics) {
    let sig = &middleware.function.sig;
    if sig.asyncness.is_none() {
        diagnostics.error(
            sig.fn_token.span,
            format!("a middleware must be an `async fn`: add `async` before `fn` ({SHAPE})"),
        );
    }
    if let Some(receiver) = &middleware.receiver {
        diagnostics.error(
            receiver.span(),
            "a middleware cannot take `self`: make it a free `async fn` and take shared data as `State<T>`",
        );
    }
    if !sig.generics.params.is_empty() {
        diagnostics.error(
            sig.generics.span(),
            "a middleware cannot be generic: `.wrap(..)` needs one concrete function",
        );
    }
    let args = &middleware.args;
    let kinds: Vec<Option<String>> = args.iter().map(|arg| last_segment(&arg.ty)).collect();
    let position = |name: &str| kinds.iter().position(|kind| kind.as_deref() == Some(name));
    let count = args.len();
    let whole_list = sig.paren_token.span.join();
    let next = position("Next");
    match next {
        None => diagnostics.error(
            args.last().map_or(whole_list, |arg| arg.ty.span()),
            format!("a middleware takes `next: Next` as its last argument, to run the rest of the chain: `{SHAPE}`"),
        ),
        Some(at) if at != count - 1 => diagnostics.error(
            args[at].ty.span(),
            format!("`next: Next` must be the last argument: `{SHAPE}`"),
        ),
        Some(_) => {}
    }
    match position("Request") {
        None => diagnostics.error(
            whole_list,
            format!("a middleware takes `req: Request` just before `next: Next`: `{SHAPE}`"),
        ),
        Some(at) if next == Some(count - 1) && at != count - 2 => diagnostics.error(
            args[at].ty.span(),
            format!("`req: Request` must come just before `next: Next`, after the extractors: `{SHAPE}`"),
        ),
        Some(_) => {}
    }
}
