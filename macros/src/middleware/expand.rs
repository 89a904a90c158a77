//! Expansion: a unit struct of the function's name (the value `.wrap(..)`
//! and `wrap = [..]` take), the function as written as its associated
//! function, and the `Middleware` impl that extracts the arguments and calls it.
//!
//! A middleware that uses `next` only as `next.run(..).await` (or
//! `.into_boxed()`) is made generic over what comes next (`Next<R>`) and
//! implements `Compose` too, so that tuples of middleware compose at compile
//! time; so does one that takes `next: Next<impl Rest>`. One that passes `next` on
//! (to a function that takes a `Next`, say) stays as written: making it
//! generic would break the code it passes `next` to.

use proc_macro2::{Ident, Span, TokenStream, TokenTree};
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
    // `deprecated` goes on the struct alone: using the middleware warns,
    // while the generated code that calls the function does not.
    let docs: Vec<_> = function
        .attrs
        .iter()
        .filter(|a| is(a, "doc") || is(a, "deprecated"))
        .collect();
    let fn_attrs: Vec<_> = function
        .attrs
        .iter()
        .filter(|a| !is(a, "cfg") && !is(a, "cfg_attr") && !is(a, "deprecated"))
        .collect();
    // A deprecated middleware's own code may use deprecated items, as
    // rustc allows inside any deprecated item (naming its struct included).
    let allow_deprecated = function
        .attrs
        .iter()
        .any(|a| is(a, "deprecated"))
        .then(|| quote!(#[allow(deprecated)]));
    let rest = Ident::new("__WaypostRest", Span::call_site());
    let composable = composable(&function.sig, &function.block);
    let sig = if composable {
        generic_over_rest(&function.sig, &rest)
    } else {
        function.sig.clone()
    };
    let block = &function.block;

    // Without extractors the function's own future is the middleware's, its
    // output converted: an `async` block around it would hold the request twice.
    let body = if extractors.is_empty() {
        let respond = match &function.sig.output {
            syn::ReturnType::Type(_, ty) if !matches!(**ty, syn::Type::ImplTrait(_)) => {
                quote_spanned!(ty.span()=> ::waypost::__private::respond_inline::<#ty, _>)
            }
            _ => quote!(::waypost::__private::respond_inline),
        };
        quote!(#respond(#ident::#ident(#request, #next)))
    } else {
        quote! {
            async move {
                #request_binding
                #(#extract)*
                let #output = #ident::#ident(#(#vars,)* #request, #next).await;
                #into_response
            }
        }
    };
    // Spanned at the return type: a type that is not a response is
    // reported there, as one error, wherever the future's type is proven.
    let output_span = match &function.sig.output {
        syn::ReturnType::Type(_, ty) => ty.span(),
        syn::ReturnType::Default => function.sig.span(),
    };
    let future_type = quote_spanned! {output_span=>
        impl ::core::future::Future<Output = ::waypost::__private::Response> + ::core::marker::Send + 'static
    };
    // Plain spans at the return type (not `mixed_site`): an error there
    // then reads as the return type's, and is merged with the one reported at
    // it. Named so that no unit struct or const of the user's (such as a
    // middleware named `call`) can be taken for these bindings.
    let at_output = |name: &str| Ident::new(name, output_span);
    let (shim, call, needs_of, future) = (
        local("__waypost_shim"),
        at_output("__waypost_call"),
        local("needs_of"),
        at_output("__waypost_future"),
    );
    // The shim is generic over what comes next when the middleware composes;
    // `required` takes any instance of it (the chain composed at build time).
    let (generics, next_type, instance) = if composable {
        (
            quote!(<#rest: ::waypost::__private::Rest>),
            quote!(::waypost::__private::Next<#rest>),
            quote!(::<::waypost::__private::Chained>),
        )
    } else {
        (quote!(), quote!(::waypost::__private::Next), quote!())
    };
    let boxed = quote_spanned! {output_span=>
        ::waypost::__private::HandlerFuture::new_in(#request, move |#request| {
            match #ident::#shim(::core::option::Option::Some((#request, #next))).0 {
                ::core::option::Option::Some(#future) => #future,
                ::core::option::Option::None => ::core::unreachable!(),
            }
        })
    };
    let run = quote_spanned! {output_span=>
        (#call.map(|(#request, #next)| #body), #needs_of)
    };
    let shim_fn = quote_spanned! {output_span=>
        #[doc(hidden)]
        #[inline(always)]
        #[allow(clippy::inline_always, deprecated)]
        fn #shim #generics(
            #call: ::core::option::Option<(::waypost::__private::Request, #next_type)>,
        ) -> (
            ::core::option::Option<#future_type>,
            fn(&mut ::waypost::__private::StateNeeds),
        ) {
            let #needs_of: fn(&mut ::waypost::__private::StateNeeds) = |#needs_param| {
                #(#required)*
            };
            #run
        }
    };
    let inline_call = quote_spanned! {output_span=>
        match #ident::#shim::<#rest>(::core::option::Option::Some((#request, #next))).0 {
            ::core::option::Option::Some(#future) => #future,
            ::core::option::Option::None => ::core::unreachable!(),
        }
    };
    let compose = composable.then(|| {
        quote! {
            // What comes next known at compile time (in a tuple of
            // middleware) or at build time (`Next`): one body for both.
            #(#cfgs)*
            #[allow(deprecated)]
            impl ::waypost::__private::Compose for #ident {
                #[inline]
                #[allow(clippy::option_if_let_else)]
                fn call_with<#rest: ::waypost::__private::Rest>(
                    self,
                    #request: ::waypost::__private::Request,
                    #next: ::waypost::__private::Next<#rest>,
                ) -> #future_type {
                    #inline_call
                }
            }
        }
    });

    quote! {
        #(#cfgs)*
        #(#docs)*
        #[allow(non_camel_case_types)]
        #[derive(Clone, Copy, Debug)]
        #vis struct #ident;

        #(#cfgs)*
        #allow_deprecated
        impl #ident {
            #(#fn_attrs)*
            #vis #sig #block

            // One body for everything that names the argument types, so that
            // rustc reports a type that is not an extractor once: the call
            // that extracts them (given a request), and what they need from
            // the app.
            #shim_fn
        }

        #compose

        #(#cfgs)*
        #[allow(deprecated)]
        impl ::waypost::__private::Middleware for #ident {
            #[allow(clippy::option_if_let_else)]
            fn call(
                &self,
                #request: ::waypost::__private::Request,
                #next: ::waypost::__private::Next,
            ) -> ::waypost::__private::HandlerFuture {
                #boxed
            }

            fn name(&self) -> &'static str {
                #name
            }

            fn provides(&self, #provided_param) {
                #(#provides)*
            }

            fn required(&self, needs: &mut ::waypost::__private::StateNeeds) {
                (#ident::#shim #instance(::core::option::Option::None).1)(needs)
            }
        }
    }
}

/// The function's signature with `next: Next` generic over what comes next
/// (`next: Next<R>` for a new type parameter `R: Rest`), so that one body
/// serves the chain composed at build time and tuples composed at compile time.
fn generic_over_rest(sig: &syn::Signature, rest: &Ident) -> syn::Signature {
    let mut sig = sig.clone();
    let Some(syn::FnArg::Typed(next)) = sig.inputs.last_mut() else {
        return sig;
    };
    let syn::Type::Path(path) = &mut *next.ty else {
        return sig;
    };
    // `Next<impl Rest>` is generic already (see `composable`).
    match path.path.segments.last_mut() {
        Some(last) if last.arguments.is_empty() => {
            last.arguments = syn::PathArguments::AngleBracketed(syn::parse_quote!(<#rest>));
        }
        _ => return sig,
    }
    sig.generics
        .params
        .push(syn::parse_quote!(#rest: ::waypost::__private::Rest));
    sig
}

/// Whether the middleware can be made generic over what comes next (and
/// so compose in a tuple) without changing the meaning of its body:
/// - `next: Next<impl Rest>`: it is generic already;
/// - `next: Next` whose body uses `next` only as `next.run(..).await` or
///   `next.run(..).into_boxed()` (which `Next<R>` has too), or `_: Next`;
/// - anything else (`Next<X>`, other patterns, `next` passed on) stays as written.
fn composable(sig: &syn::Signature, block: &syn::Block) -> bool {
    let Some(syn::FnArg::Typed(next)) = sig.inputs.last() else {
        return false;
    };
    let syn::Type::Path(path) = &*next.ty else {
        return false;
    };
    match path.path.segments.last().map(|last| &last.arguments) {
        Some(syn::PathArguments::None) => {}
        Some(syn::PathArguments::AngleBracketed(args)) => {
            return args.args.len() == 1
                && matches!(
                    args.args.first(),
                    Some(syn::GenericArgument::Type(syn::Type::ImplTrait(_)))
                );
        }
        _ => return false,
    }
    match &*next.pat {
        syn::Pat::Wild(_) => true,
        syn::Pat::Ident(pat) if pat.by_ref.is_none() && pat.subpat.is_none() => {
            only_runs(&unraw(&pat.ident), quote!(#block))
        }
        _ => false,
    }
}

/// Whether every mention of the variable `name` in `tokens` is
/// `name.run(..).await` or `name.run(..).into_boxed()`. Conservative: any
/// other mention (passed on, stored, shadowed, in a macro's tokens) says no;
/// a field, method, path segment or label of that name is not the variable.
fn only_runs(name: &str, tokens: TokenStream) -> bool {
    let tokens: Vec<TokenTree> = tokens.into_iter().collect();
    let punct = |at: usize, ch: char| matches!(tokens.get(at), Some(TokenTree::Punct(p)) if p.as_char() == ch);
    let ident =
        |at: usize, word: &str| matches!(tokens.get(at), Some(TokenTree::Ident(i)) if i == word);
    tokens.iter().enumerate().all(|(at, token)| match token {
        TokenTree::Ident(found) if unraw(found) == name => {
            let not_the_variable = at > 0 && (punct(at - 1, '.') || punct(at - 1, ':') || punct(at - 1, '\''));
            let runs = punct(at + 1, '.')
                && ident(at + 2, "run")
                && matches!(tokens.get(at + 3), Some(TokenTree::Group(g)) if g.delimiter() == proc_macro2::Delimiter::Parenthesis)
                && punct(at + 4, '.')
                && (ident(at + 5, "await") || ident(at + 5, "into_boxed"));
            not_the_variable || runs
        }
        TokenTree::Group(group) => only_runs(name, group.stream()),
        _ => true,
    })
}

#[cfg(test)]
mod tests {
    use super::{composable, only_runs};
    use quote::quote;

    #[test]
    fn only_runs_accepts_run_then_await_or_into_boxed_and_nothing_else() {
        let yes = [
            quote!({ next.run(req).await }),
            quote!({
                let r = next.run(req).await;
                r
            }),
            quote!({ next.run(req).into_boxed() }),
            quote!({
                if a {
                    next.run(req).await
                } else {
                    next.run(other).await
                }
            }),
            // Not the variable: a method, a field, a path segment, a label, a string.
            quote!({
                let x = it.next();
                s.next;
                Foo::next();
                'next: loop {}
                format!("{next:?}");
                next.run(req).await
            }),
        ];
        for body in yes {
            assert!(only_runs("next", body.clone()), "{body}");
        }
        let no = [
            quote!({ helper(req, next).await }),
            quote!({
                let f = next.run(req);
                f.await
            }),
            quote!({
                tokio::select! { r = next.run(req) => r }
            }),
            quote!({
                let n = next;
                n.run(req).await
            }),
            quote!({ Wrapper { next }.go().await }),
            quote!({ next }),
        ];
        for body in no {
            assert!(!only_runs("next", body.clone()), "{body}");
        }
    }

    #[test]
    fn composable_follows_the_type_and_pattern_of_next() {
        let block: syn::Block = syn::parse_quote!({ helper(req, next).await });
        let runs: syn::Block = syn::parse_quote!({ next.run(req).await });
        let sig =
            |tokens: proc_macro2::TokenStream| -> syn::Signature { syn::parse2(tokens).unwrap() };
        assert!(composable(
            &sig(quote!(async fn m(req: Request, next: Next<impl Rest>) -> Response)),
            &block
        ));
        assert!(!composable(
            &sig(quote!(async fn m(req: Request, next: Next<Chained>) -> Response)),
            &runs
        ));
        assert!(!composable(
            &sig(quote!(async fn m(req: Request, next: Next) -> Response)),
            &block
        ));
        assert!(composable(
            &sig(quote!(async fn m(req: Request, next: Next) -> Response)),
            &runs
        ));
        assert!(composable(
            &sig(quote!(async fn m(req: Request, mut r#next: Next) -> Response)),
            &runs
        ));
        assert!(composable(
            &sig(quote!(async fn m(req: Request, _: Next) -> Response)),
            &block
        ));
        assert!(!composable(
            &sig(quote!(async fn m(req: Request, ref next: Next) -> Response)),
            &runs
        ));
        assert!(!composable(
            &sig(quote!(async fn m(req: Request, next @ _: Next) -> Response)),
            &runs
        ));
    }
}
