//! Expansion: the handler as written, inside a function of the same name and
//! arguments whose future carries the route descriptor and the generated
//! request-to-call shim.

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

    let keys = super::keys::candidate_keys(&shape)
        .into_iter()
        .map(proc_macro2::Literal::u64_suffixed);
    let descriptor = quote! {
        ::waypost::__private::Route::new(#methods, #path, #handle)
            .shape(#shape, #router_path)
            .candidate_keys(&[#(#keys),*])
            .declared(#name, ::core::module_path!(), ::core::file!(), ::core::line!())
            #required
            #middleware
    };

    let attributes = Attributes::split(&function.attrs);
    let outer_attrs = &attributes.outer;
    let mut inner = function.clone();
    inner.attrs = attributes.inner;
    // Signature lints fire once, on the outer function (the one users see).
    inner
        .attrs
        .push(syn::parse_quote!(#[allow(clippy::too_many_arguments)]));
    inner.vis = syn::Visibility::Inherited;
    let params = outer_params(handler);
    let signature = outer_signature(handler, &params);
    let vis = &function.vis;
    let route_type = Ident::new("__WaypostRoute", Span::call_site());
    let body = quote! {
        #inner

        struct #route_type;

        impl ::waypost::__private::RouteOf for #route_type {
            // One body for everything that names the argument types, so
            // that rustc reports a type that is not an extractor once.
            const ROUTE: ::waypost::__private::Route = #descriptor;
        }

        ::waypost::__private::RoutedFuture::<#route_type, _>::new(#ident(#(#params),*))
    };
    // The body's braces keep the handler's spans: the function's span is
    // then the handler's, which rustc shows where it points at the function
    // ("defined here") and lints as user code (`dead_code`).
    let mut body = proc_macro2::Group::new(proc_macro2::Delimiter::Brace, body);
    body.set_span(function.block.brace_token.span.join());
    let fn_span = function.sig.fn_token.span;
    // The handler as written, nested in a function of the same name and
    // arguments whose future carries the route: `routes![]` finds it through
    // the function alone (see `waypost::__private::route_of`).
    // `must_use_candidate` (pedantic) would ask for `#[must_use]` on every
    // handler: its future is `must_use` already.
    quote_spanned! {fn_span=>
        #(#outer_attrs)*
        #[allow(clippy::must_use_candidate)]
        #vis #signature #body
    }
}

/// The outer function's signature: the handler's, not `async`, with plain
/// argument names, returning `impl RouteFuture<Output = T>` (a future of `T`
/// that knows its route). It keeps the handler's spans, so that rustc shows
/// the handler where it points at the function.
fn outer_signature(handler: &Handler, params: &[Ident]) -> syn::Signature {
    let mut signature = handler.function.sig.clone();
    signature.asyncness = None;
    let typed = signature.inputs.iter_mut().filter_map(|input| match input {
        syn::FnArg::Typed(typed) => Some(typed),
        syn::FnArg::Receiver(_) => None,
    });
    for (typed, param) in typed.zip(params) {
        typed.attrs.clear();
        *typed.pat = syn::Pat::Ident(syn::PatIdent {
            attrs: Vec::new(),
            by_ref: None,
            mutability: None,
            ident: param.clone(),
            subpat: None,
        });
        *typed.ty = with_static_lifetimes(&typed.ty);
    }
    let (output, span) = match &handler.function.sig.output {
        syn::ReturnType::Default => (quote!(()), signature.paren_token.span.close()),
        syn::ReturnType::Type(_, ty) => (ty.to_token_stream(), ty.span()),
    };
    // The wrapper around the handler's type is spanned at the call site, so
    // that lints on written types (`clippy::type_complexity`) see only the
    // handler's own type; the arrow keeps the handler's span.
    let arrow = quote_spanned!(span=> ->);
    signature.output = syn::parse_quote! {
        #arrow impl ::waypost::__private::RouteFuture<Output = #output>
    };
    signature
}

/// `ty` with its elided lifetimes (`&T`, `'_`) made `'static`. A handler
/// argument borrowing from the request is refused at its type (the request
/// outlives no handler); the outer function must not also fail because its
/// future captures the borrow. Function types (`fn(&str)`, `Fn(&str)`,
/// `for<'a> ..`) keep theirs: they are higher-ranked, not captured.
fn with_static_lifetimes(ty: &syn::Type) -> syn::Type {
    use syn::visit_mut::{self, VisitMut};

    struct MakeStatic;

    impl VisitMut for MakeStatic {
        fn visit_type_reference_mut(&mut self, reference: &mut syn::TypeReference) {
            if reference.lifetime.is_none() {
                reference.lifetime = Some(syn::Lifetime::new("'static", reference.and_token.span));
            }
            visit_mut::visit_type_reference_mut(self, reference);
        }

        fn visit_lifetime_mut(&mut self, lifetime: &mut syn::Lifetime) {
            if lifetime.ident == "_" {
                *lifetime = syn::Lifetime::new("'static", lifetime.apostrophe);
            }
        }

        fn visit_type_bare_fn_mut(&mut self, _: &mut syn::TypeBareFn) {}

        fn visit_parenthesized_generic_arguments_mut(
            &mut self,
            _: &mut syn::ParenthesizedGenericArguments,
        ) {
        }

        fn visit_bound_lifetimes_mut(&mut self, _: &mut syn::BoundLifetimes) {}

        fn visit_trait_bound_mut(&mut self, bound: &mut syn::TraitBound) {
            // `for<'a> Trait<&'a T>`: the binder covers the bound.
            if bound.lifetimes.is_none() {
                visit_mut::visit_trait_bound_mut(self, bound);
            }
        }
    }

    let mut ty = ty.clone();
    MakeStatic.visit_type_mut(&mut ty);
    ty
}

/// The handler's attributes, shared between the outer function (what other
/// code sees: documentation, deprecation, lint levels) and the user's
/// function inside it (everything else: `#[tracing::instrument]` and other
/// attribute macros, `#[inline]`). Lint levels on the outer function cover
/// the inner one too, which sits in its body: an `expect` is met wherever
/// its lint fires (`dead_code` on the outer function, `unused_variables` in
/// the body). `cfg` and `cfg_attr` are applied before the attribute runs.
struct Attributes {
    outer: Vec<syn::Attribute>,
    inner: Vec<syn::Attribute>,
}

impl Attributes {
    fn split(attrs: &[syn::Attribute]) -> Attributes {
        const OUTER: [&str; 8] = [
            "doc",
            "cfg",
            "deprecated",
            "allow",
            "warn",
            "deny",
            "forbid",
            "expect",
        ];
        let (outer, inner) = attrs
            .iter()
            .cloned()
            .partition(|attr| OUTER.iter().any(|name| attr.path().is_ident(name)));
        Attributes { outer, inner }
    }
}

/// The outer function's argument names: the handler's own where it binds a
/// plain name (so that documentation reads the same), `argN` elsewhere.
fn outer_params(handler: &Handler) -> Vec<Ident> {
    handler
        .args
        .iter()
        .enumerate()
        .map(|(position, arg)| match &arg.binding {
            // An argument named like the handler would shadow the inner function.
            Some(binding) if binding != handler.ident() => binding.clone(),
            _ => Ident::new(&format!("arg{position}"), Span::mixed_site()),
        })
        .collect()
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
