//! `#[get]`, `#[post]`, … and `#[route]`: parse the attribute and the handler,
//! validate them together, expand into the handler plus its route descriptor.

mod attr;
mod check;
mod expand;
mod handler;
mod keys;

use proc_macro2::TokenStream;

use crate::diagnostics::Diagnostics;
pub(crate) use attr::MethodAttr;
pub(crate) use expand::unraw;
pub(crate) use handler::Handler;

/// Runs the pipeline for one route attribute. On errors, the handler is
/// emitted unchanged beside them so that its other uses do not fail too.
pub(crate) fn expand_route(kind: MethodAttr, attr: TokenStream, item: TokenStream) -> TokenStream {
    let mut diagnostics = Diagnostics::default();
    let function: syn::ItemFn = match syn::parse2(item.clone()) {
        Ok(function) => function,
        Err(error) => {
            let message = format!(
                "`#[{}]` goes on an `async fn` handler: {error}",
                kind.attribute_name()
            );
            return syn::Error::new(error.span(), message).to_compile_error();
        }
    };
    let route = match attr::RouteAttr::parse(kind, attr) {
        Ok(route) => route,
        Err(error) => {
            // The signature's own mistakes are reported beside the
            // attribute's, so that one round of fixes covers both.
            diagnostics.push(error);
            check::check_signature(&handler::Handler::parse(function), &mut diagnostics);
            return with_errors(item, diagnostics);
        }
    };
    stacked_route_attributes(kind, &route, &function, &mut diagnostics);
    let handler = handler::Handler::parse(function);
    match check::check(&route, &handler, &mut diagnostics) {
        Some(checked) if diagnostics.is_empty() => expand::expand(&route, &handler, &checked),
        _ => with_errors(item, diagnostics),
    }
}

/// Another route attribute on the same handler (`#[get]` over `#[post]`):
/// one error, at the other attribute, naming `#[route]` with both methods.
/// The other attribute still expands, so the handler is defined once and
/// nothing else fails.
fn stacked_route_attributes(
    kind: MethodAttr,
    route: &attr::RouteAttr,
    function: &syn::ItemFn,
    diagnostics: &mut Diagnostics,
) {
    const ROUTE_ATTRIBUTES: [&str; 10] = [
        "get", "post", "put", "patch", "delete", "head", "options", "trace", "connect", "route",
    ];
    for attribute in &function.attrs {
        let Some(last) = attribute.path().segments.last() else {
            continue;
        };
        let name = last.ident.to_string();
        if !ROUTE_ATTRIBUTES.contains(&name.as_str()) {
            continue;
        }
        let mut methods: Vec<String> = route.methods.iter().map(|m| m.name.clone()).collect();
        if name != "route" {
            methods.push(name.to_ascii_uppercase());
        }
        let methods: Vec<String> = methods
            .iter()
            .map(|method| format!("method = \"{method}\""))
            .collect();
        diagnostics.error(
            last.ident.span(),
            format!(
                "one route attribute per handler: `#[{}]` and `#[{name}]` are both on `{}`; for several methods write `#[route({:?}, {})]`",
                kind.attribute_name(),
                function.sig.ident,
                route.path.value(),
                methods.join(", ")
            ),
        );
    }
}

fn with_errors(item: TokenStream, diagnostics: Diagnostics) -> TokenStream {
    let errors = diagnostics.into_compile_errors();
    quote::quote! { #item #errors }
}
