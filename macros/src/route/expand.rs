//! Expansion: the handler as written, plus a hidden type of the same name
//! that carries its route descriptor and the generated request-to-call shim.

use proc_macro2::{Ident, Span, TokenStream};
use quote::{quote, quote_spanned, ToTokens};
use syn::spanned::Spanned;

use super::attr::RouteAttr;
use super::check::Checked;
use super::handler::Handler;

pub(crate) fn expand(route: &RouteAttr, handler: &Handler, checked: &Checked) -> TokenStream {
    let function = &handler.function;
    let ident = handler.ident();
    let name = unraw(ident);
    let path = route.path.value();
    let shape = checked.pattern.shape();
    let router_path = checked.pattern.router_path();
    let methods = method_set(&checked.methods);
    let handle = handle_closure(handler, checked);
    let required = required_closure(handler, checked);
    let middleware = middleware_closure(&route.wrap);

    let descriptor = quote! {
        ::waypost::__private::Route::new(#methods, #path, #handle)
            .shape(#shape, #router_path)
            .declared(#name, ::core::module_path!(), ::core::file!(), ::core::line!())
            #required
            #middleware
    };

    let carrier = hidden_module(ident);
    // The type is reachable wherever the crate names the handler (a private
    // handler named from elsewhere is reported as the private function it
    // is, not as a private type); public for a public handler, which other
    // crates may mount.
    let carrier_vis = match &function.vis {
        syn::Visibility::Public(_) => quote!(pub),
        _ => quote!(pub(crate)),
    };
    quote! {
        #function

        // The route lives in a type of the same name, glob-imported from a
        // hidden module: a module, type or import the user names like the
        // handler shadows the glob instead of clashing with it.
        #[doc(hidden)]
        #carrier_vis mod #carrier {
            #[allow(non_camel_case_types)]
            pub struct #ident {}
        }
        #[doc(hidden)]
        #[allow(unused_imports)]
        #carrier_vis use #carrier::*;

        impl #carrier::#ident {
            // One body for everything that names the argument types, so that
            // rustc reports a type that is not an extractor once.
            #[doc(hidden)]
            pub const ROUTE: ::waypost::__private::Route = #descriptor;
        }
    }
}

/// The hidden module that carries `handler`'s route type: `__waypost_route_get_user`.
pub(crate) fn hidden_module(handler: &Ident) -> Ident {
    Ident::new(
        &format!("__waypost_route_{}", unraw(handler)),
        handler.span(),
    )
}

fn method_set(methods: &[String]) -> TokenStream {
    let mut sets = methods.iter().map(|method| {
        let method = Ident::new(method, Span::call_site());
        quote!(::waypost::__private::MethodSet::#method)
    });
    let first = sets
        .next()
        .unwrap_or_else(|| quote!(::waypost::__private::MethodSet::GET));
    sets.fold(first, |set, next| quote!(#set.union(#next)))
}

/// A local variable of generated code. Mixed-site hygiene keeps it apart
/// from the user's names: a handler called `parts` or a parameter named like
/// its handler cannot be shadowed by, or shadow, what the shim declares.
fn local(name: &str) -> Ident {
    Ident::new(name, Span::mixed_site())
}

/// The shim: path parameters are parsed first (a failure answers 400
/// without a future), then the extractors run in order inside the future,
/// the body threaded through them as a type, and the handler is called.
fn handle_closure(handler: &Handler, checked: &Checked) -> TokenStream {
    let ident = handler.ident();
    let (request, body) = (local("request"), local("body"));
    let mut parse_params = Vec::new();
    let mut extractors = Vec::new();
    let mut call_args = Vec::new();
    for (position, arg) in handler.args.iter().enumerate() {
        let ty = &arg.ty;
        let var = local(&format!("arg_{position}"));
        match checked.param_of_arg[position] {
            Some(index) => {
                let binding = arg
                    .binding
                    .as_ref()
                    .expect("a parameter binds an identifier");
                let name = unraw(binding);
                let type_name = type_name(ty);
                let parse = quote_spanned! {ty.span()=>
                    ::waypost::__private::path_param::<#ty>(#request.parts(), #index, #name, #type_name)
                };
                parse_params.push(quote! {
                    let #var = match #parse {
                        ::core::result::Result::Ok(value) => value,
                        ::core::result::Result::Err(response) => return ::waypost::__private::ready(response),
                    };
                });
            }
            None => {
                let extract = quote_spanned! {ty.span()=>
                    ::waypost::__private::extract(::waypost::__private::Type::<#ty>, #request.parts_mut(), #body).await
                };
                extractors.push(quote! {
                    let (#var, #body) = match #extract {
                        ::core::result::Result::Ok(value) => value,
                        ::core::result::Result::Err(response) => return response,
                    };
                });
            }
        }
        call_args.push(var);
    }
    // Naming the return type in the call makes a type that is not a response
    // fail there, at the return type. A type with `impl Trait` anywhere in it
    // (`Result<impl IntoResponse, E>`) cannot be named: it is checked without
    // the turbofish.
    let output = local("output");
    let into_response = match &handler.function.sig.output {
        syn::ReturnType::Type(_, ty) if !names_impl_trait(ty) => {
            quote_spanned!(ty.span()=> ::waypost::__private::into_response_for::<#ty>(#output, #request.parts()))
        }
        _ => quote!(::waypost::__private::into_response_for(#output, #request.parts())),
    };
    // Without extractors the handler's own future is boxed as it is, inside
    // `RespondTo` with the request: an `async` block around it would hold
    // its arguments twice.
    if extractors.is_empty() {
        let respond = match &handler.function.sig.output {
            syn::ReturnType::Type(_, ty) if !names_impl_trait(ty) => {
                quote_spanned!(ty.span()=> ::waypost::__private::respond_to::<#ty, _>)
            }
            _ => quote!(::waypost::__private::respond_to),
        };
        return quote! {
            |#request: ::waypost::__private::Request| -> ::waypost::__private::HandlerFuture {
                #(#parse_params)*
                #respond(#request, #ident(#(#call_args),*))
            }
        };
    }
    // The request is one pointer: the future keeps it whole and lends its
    // parts to the extractors; the body is taken out to be threaded through.
    quote! {
        |#request: ::waypost::__private::Request| -> ::waypost::__private::HandlerFuture {
            #(#parse_params)*
            ::waypost::__private::HandlerFuture::new_in(#request, move |mut #request| async move {
                let #body = #request.take_body();
                #(#extractors)*
                let _ = #body;
                let #output = #ident(#(#call_args),*).await;
                #into_response
            })
        }
    }
}

fn extractor_types<'a>(
    handler: &'a Handler,
    checked: &'a Checked,
) -> impl Iterator<Item = &'a syn::Type> {
    handler
        .args
        .iter()
        .zip(&checked.param_of_arg)
        .filter(|(_, param)| param.is_none())
        .map(|(arg, _)| &arg.ty)
}

/// `.required(..)`: records the state and extensions the extractors need; omitted when there are none.
fn required_closure(handler: &Handler, checked: &Checked) -> TokenStream {
    let types: Vec<_> = extractor_types(handler, checked).collect();
    if types.is_empty() {
        return quote!();
    }
    let needs = local("needs");
    // Methods that carry no body: an argument that reads one is refused at its type.
    let bodyless = checked
        .methods
        .iter()
        .all(|method| matches!(method.as_str(), "GET" | "HEAD" | "OPTIONS" | "TRACE"));
    let require = if bodyless {
        quote!(require_head_arg)
    } else {
        quote!(require_arg)
    };
    let calls = types
        .iter()
        .map(|ty| quote_spanned!(ty.span()=> ::waypost::__private::#require(::waypost::__private::Type::<#ty>, #needs);));
    quote! {
        .required(|#needs: &mut ::waypost::__private::StateNeeds| {
            #(#calls)*
        })
    }
}

/// `.middleware(..)`: the route's `wrap = [..]`, each entry checked at its span.
pub(crate) fn middleware_closure(wrap: &[syn::Expr]) -> TokenStream {
    if wrap.is_empty() {
        return quote!();
    }
    let layers = local("layers");
    let pushes = wrap
        .iter()
        .map(|expr| quote_spanned!(expr.span()=> ::waypost::__private::wrap(#layers, #expr);));
    quote! {
        .middleware(|#layers: &mut ::waypost::__private::RouteMiddleware| {
            #(#pushes)*
        })
    }
}

/// The type as the user wrote it, compact (`Vec<u8>`, not `Vec < u8 >`), for error messages.
fn type_name(ty: &syn::Type) -> String {
    let text = ty.to_token_stream().to_string();
    let mut out = String::with_capacity(text.len());
    let chars: Vec<char> = text.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if c == ' ' {
            let before = i.checked_sub(1).map(|j| chars[j]);
            let after = chars.get(i + 1).copied();
            let word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
            if !(word(before) && word(after)) {
                continue;
            }
        }
        out.push(c);
    }
    out
}

/// The identifier as users name it in paths and messages: `type` for `r#type`.
pub(crate) fn unraw(ident: &Ident) -> String {
    let text = ident.to_string();
    match text.strip_prefix("r#") {
        Some(name) => name.to_owned(),
        None => text,
    }
}

/// Whether `ty` holds `impl Trait` anywhere (`impl IntoResponse`,
/// `Json<impl Serialize>`), which a turbofish cannot name.
fn names_impl_trait(ty: &syn::Type) -> bool {
    fn search(tokens: TokenStream) -> bool {
        tokens.into_iter().any(|token| match token {
            proc_macro2::TokenTree::Ident(ident) => ident == "impl",
            proc_macro2::TokenTree::Group(group) => search(group.stream()),
            _ => false,
        })
    }
    search(ty.to_token_stream())
}
