//! `routes![a, b, c]`: the compile-time route table, checked for collisions in `const` evaluation.

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
    let descriptors = handlers
        .iter()
        .map(|handler| quote_spanned!(handler.span()=> #handler::ROUTE));
    // One check per handler after the first, spanned at its name, so that a
    // collision points at the handler that collides.
    let checks = handlers.iter().enumerate().skip(1).map(|(index, handler)| {
        quote_spanned! {handler.span()=>
            const _: () = ::waypost::__private::assert_no_conflict(ROUTES, #index);
        }
    });
    quote! {
        {
            const ROUTES: &[::waypost::__private::Route] = &[#(#descriptors),*];
            #(#checks)*
            ROUTES
        }
    }
}
