//! `#[middleware]`: parse the attribute and the function, validate the
//! signature (head extractors, then `req: Request`, then `next: Next`),
//! expand into a value of the function's name that `.wrap(..)` takes.

mod attr;
mod check;
mod expand;

use proc_macro2::TokenStream;

use crate::diagnostics::Diagnostics;
use crate::route::Handler;

/// Runs the pipeline. On errors, the function is emitted unchanged beside
/// them so that its other uses do not fail too.
pub(crate) fn expand_middleware(attr: TokenStream, item: TokenStream) -> TokenStream {
    let mut diagnostics = Diagnostics::default();
    let function: syn::ItemFn = match syn::parse2(item.clone()) {
        Ok(function) => function,
        Err(error) => {
            let message = format!("`#[middleware]` goes on an `async fn`: {error}");
            return syn::Error::new(error.span(), message).to_compile_error();
        }
    };
    let attr = match attr::MiddlewareAttr::parse(attr) {
        Ok(attr) => attr,
        Err(error) => {
            diagnostics.push(error);
            return with_errors(item, diagnostics);
        }
    };
    let middleware = Handler::parse(function);
    check::check(&middleware, &mut diagnostics);
    if diagnostics.is_empty() {
        expand::expand(&attr, &middleware)
    } else {
        with_errors(item, diagnostics)
    }
}

fn with_errors(item: TokenStream, diagnostics: Diagnostics) -> TokenStream {
    let errors = diagnostics.into_compile_errors();
    quote::quote! { #item #errors }
}
