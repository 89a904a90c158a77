//! Expansion: a unit struct of the function's name (the value `.wrap(..)`
//! and `wrap = [..]` take), the function as written as its associated
//! function, and the `Middleware` impl that extracts the arguments and calls it.

use proc_macro2::{Ident, Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;

use super::attr::MiddlewareAttr;
use crate::route::{unraw, Handler};

fn local(name: &str) -> Ident {
    Ident::new(name, Span::mixed_site())
}

pub(crate) fn expand(attr: &MiddlewareAttr, middleware: &Handler) -> TokenStream {
    let function = &middleware.function;
    let ident = middleware.ident();
    let vis = &function.vis;
    let name = unraw(ident);
    let (request, next, output, provided, needs) = (
        local("request"),
        local("next"),
        local("output"),
        local("provided"),
        local("needs"),
    );
    let extractor_count = middleware.args.len().saturating_sub(2);
    let extractors = &middleware.args[..extractor_count];
    let vars: Vec<Ident> = (0..extractor_count)
        .map(|i| local(&format!("arg_{i}")))
        .collect();
    let extract = extractors.iter().zip(&vars).map(|(arg, var)| {
        let ty = &arg.ty;
        let call = quote_spanned! {ty.span()=>
            ::waypost::__private::middleware_arg(::waypost::__private::Type::<#ty>, #request.parts_mut()).await
        };
        quote! {
            let #var = match #call {
                ::core::result::Result::Ok(value) => value,
                ::core::result::Result::Err(response) => return response,
            };
        }
    });
    let required = extractors.iter().map(|arg| {
        let ty = &arg.ty;
        quote_spanned!(ty.span()=> ::waypost::__private::require_middleware_arg(::waypost::__private::Type::<#ty>, #needs);)
    });
    let provides = attr
        .provides
        .iter()
        .map(|ty| quote_spanned!(ty.span()=> #provided.insert::<#ty>();));
    let into_response = match &function.sig.output {
        syn::ReturnType::Type(_, ty) if !matches!(**ty, syn::Type::ImplTrait(_)) => {
            quote_spanned!(ty.span()=> ::waypost::__private::into_response::<#ty>(#output))
        }
        _ => quote!(::waypost::__private::into_response(#output)),
    };
    let request_binding = if extractors.is_empty() {
        quote!()
    } else {
        quote!(let mut #request = #request;)
    };
    let needs_param = if extractors.is_empty() {
        quote!(_: &mut ::waypost::__private::StateNeeds)
    } else {
        quote!(#needs: &mut ::waypost::__private::StateNeeds)
    };
    let provided_param = if attr.provides.is_empty() {
        quote!(_: &mut ::waypost::__private::Provided)
    } else {
        quote!(#provided: &mut ::waypost::__private::Provided)
    };
    // The user's attributes: `cfg` goes on every generated item, doc comments
    // on the struct (the name users see) and the function, the rest
    // (`#[inline]`, `#[tracing::instrument]`, lints) on the function alone.
    let is = |attr: &syn::Attribute, name: &str| attr.path().is_ident(name);
    let cfgs: Vec<_> = function
        .attrs
        .iter()
        .filter(|a| is(a, "cfg") || is(a, "cfg_attr"))
        .collect();
    let docs: Vec<_> = function.attrs.iter().filter(|a| is(a, "doc")).collect();
    let fn_attrs: Vec<_> = function
        .attrs
        .iter()
        .filter(|a| !is(a, "cfg") && !is(a, "cfg_attr"))
        .collect();
    let sig = &function.sig;
    let block = &function.block;

    let shim = local("__WAYPOST_SHIM");
    // Without extractors the function's own future is boxed as it is, inside
    // `Respond`: an `async` block around it would hold the request twice.
    let shim_body = if extractors.is_empty() {
        let respond = match &function.sig.output {
            syn::ReturnType::Type(_, ty) if !matches!(**ty, syn::Type::ImplTrait(_)) => {
                quote_spanned!(ty.span()=> ::waypost::__private::respond::<#ty, _>)
            }
            _ => quote!(::waypost::__private::respond),
        };
        quote!(#respond(#request, move |#request| #ident::#ident(#request, #next)))
    } else {
        quote! {
            ::waypost::__private::HandlerFuture::new_in(#request, move |#request| async move {
                #request_binding
                #(#extract)*
                let #output = #ident::#ident(#(#vars,)* #request, #next).await;
                #into_response
            })
        }
    };

    quote! {
        #(#cfgs)*
        #(#docs)*
        #[allow(non_camel_case_types)]
        #[derive(Clone, Copy, Debug)]
        #vis struct #ident;

        #(#cfgs)*
        impl #ident {
            #(#fn_attrs)*
            #vis #sig #block

            // One body for everything that names the argument types, so that
            // rustc reports a type that is not an extractor once.
            #[doc(hidden)]
            const #shim: (
                fn(::waypost::__private::Request, ::waypost::__private::Next) -> ::waypost::__private::HandlerFuture,
                fn(&mut ::waypost::__private::StateNeeds),
            ) = (
                |#request: ::waypost::__private::Request, #next: ::waypost::__private::Next| -> ::waypost::__private::HandlerFuture {
                    #shim_body
                },
                |#needs_param| {
                    #(#required)*
                },
            );
        }

        #(#cfgs)*
        impl ::waypost::__private::Middleware for #ident {
            fn call(
                &self,
                request: ::waypost::__private::Request,
                next: ::waypost::__private::Next,
            ) -> ::waypost::__private::HandlerFuture {
                (#ident::#shim.0)(request, next)
            }

            fn name(&self) -> &'static str {
                #name
            }

            fn provides(&self, #provided_param) {
                #(#provides)*
            }

            fn required(&self, needs: &mut ::waypost::__private::StateNeeds) {
                (#ident::#shim.1)(needs)
            }
        }
    }
}
