//! `routes![a, b, c]`: the compile-time route table, checked for conflicts in `const` evaluation.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Path, Token};

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

/// `route_of(&users::get_user)`: the route comes from the function itself,
/// so `use`, re-exports and paths reach it wherever the function is in
/// scope, and a private or missing handler is reported as the function it is.
fn descriptor(handler: &Path) -> TokenStream {
    quote_spanned! {handler.span()=>
        ::waypost::__private::route_of(&#handler)
    }
}
