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

/// `{ let _ = users::get_user; users::get_user::ROUTE }`.
///
/// The function is named first, so that a private or missing handler is
/// reported as the function it is. The route is reached through the type the
/// handler's attribute glob-imports under the handler's name: it travels with
/// the name through `use` and re-exports. `self::name` goes through the
/// hidden module instead, which nothing shadows: the spelling for a handler
/// that shares its name with a module, type or import beside it.
fn descriptor(handler: &Path) -> TokenStream {
    let span = handler.span();
    let through_hidden_module = handler.leading_colon.is_none()
        && handler.segments.len() == 2
        && handler.segments[0].ident == "self";
    let route_type = if through_hidden_module {
        let name: &Ident = &handler.segments[1].ident;
        let carrier = hidden_module(name);
        quote_spanned!(span=> self::#carrier::#name)
    } else {
        quote_spanned!(span=> #handler)
    };
    quote_spanned! {span=>
        {
            let _ = #handler;
            #route_type::ROUTE
        }
    }
}
