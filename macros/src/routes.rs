//! `routes![a, b, c]`: the compile-time route table, checked for conflicts in `const` evaluation.

use proc_macro2::{Ident, TokenStream};
use quote::{quote, quote_spanned};
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Path, Token};

use crate::route::hidden_module;

pub(crate) fn expand_routes(input: TokenStream) -> TokenStream {
    let handlers = match Punctuated::<Path, Token![,]>::parse_terminated.parse2(input) {
        Ok(handlers) => handlers,
        Err(error) => {
            let message = format!(
                "`routes![]` takes handler names separated by commas, like `routes![index, users::get_user]`: {error}"
            );
            return syn::Error::new(error.span(), message).to_compile_error();
        }
    };
    let descriptors = handlers.iter().map(descriptor);
    if handlers.len() < 2 {
        return quote! {
            {
                const ROUTES: &[::waypost::__private::Route] = &[#(#descriptors),*];
                ROUTES
            }
        };
    }
    let count = handlers.len();
    // One check per handler after the first, spanned at its name, so that a
    // conflict points at the later handler and names the earlier one. The
    // pairs to compare are found once, for the whole list (see `overlap.rs`).
    let checks = handlers.iter().enumerate().skip(1).map(|(index, handler)| {
        quote_spanned! {handler.span()=>
            const _: () = ::waypost::__private::assert_no_conflict(ROUTES, &CONFLICTS, #index);
        }
    });
    quote! {
        {
            const ROUTES: &[::waypost::__private::Route] = &[#(#descriptors),*];
            const CANDIDATES: [::waypost::__private::Candidate; ::waypost::__private::candidate_count(ROUTES)] =
                ::waypost::__private::candidates(ROUTES);
            const CONFLICTS: [u32; #count] = ::waypost::__private::conflicts(ROUTES, &CANDIDATES);
            #(#checks)*
            ROUTES
        }
    }
}

/// `{ let _ = users::get_user; users::__waypost_route_get_user::get_user::ROUTE }`.
///
/// The function is named first, so that a private or missing handler is
/// reported as the function it is. A path with a module reaches the route
/// through the hidden module, which no user item can shadow; a bare name
/// (local, or imported with `use`) through the glob-imported type of the
/// handler's name.
fn descriptor(handler: &Path) -> TokenStream {
    let span = handler.span();
    let route_type = match handler.segments.len() {
        0 | 1 => quote_spanned!(span=> #handler),
        _ => {
            let mut module = handler.clone();
            let last = module.segments.pop().expect("a path has a last segment");
            let name: &Ident = &last.value().ident;
            let carrier = hidden_module(name);
            quote_spanned!(span=> #module #carrier::#name)
        }
    };
    quote_spanned! {span=>
        {
            let _ = #handler;
            #route_type::ROUTE
        }
    }
}
