//! Parsing the route attribute's arguments: the path and, for `#[route]`, its methods.

use proc_macro2::{Span, TokenStream};
use syn::parse::{ParseStream, Parser};
use syn::{Expr, ExprArray, Ident, LitStr, Token};

/// Which attribute was written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum MethodAttr {
    /// `#[get]`, `#[post]`, …: the method is the attribute's own.
    Fixed(&'static str),
    /// `#[route(path, method = "…", …)]`.
    Route,
}

impl MethodAttr {
    pub(crate) fn attribute_name(self) -> String {
        match self {
            MethodAttr::Fixed(method) => method.to_ascii_lowercase(),
            MethodAttr::Route => "route".to_owned(),
        }
    }
}

/// The methods `#[route]` accepts, as written in `method = "…"`.
pub(crate) const KNOWN_METHODS: [&str; 9] = [
    "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE", "CONNECT",
];

/// One method and where it was written.
pub(crate) struct MethodName {
    pub(crate) name: String,
    pub(crate) span: Span,
}

/// A parsed route attribute.
pub(crate) struct RouteAttr {
    pub(crate) kind: MethodAttr,
    pub(crate) path: LitStr,
    pub(crate) methods: Vec<MethodName>,
    /// `wrap = [a, b]`: route-scope middleware, outermost first.
    pub(crate) wrap: Vec<Expr>,
    /// `key = value` pairs with a key that is not known, kept to be reported.
    pub(crate) unknown_keys: Vec<Ident>,
}

impl RouteAttr {
    pub(crate) fn parse(kind: MethodAttr, tokens: TokenStream) -> syn::Result<RouteAttr> {
        let parser = |input: ParseStream| {
            let example = match kind {
                MethodAttr::Fixed(method) => {
                    format!("#[{}(\"/users/<id>\")]", method.to_ascii_lowercase())
                }
                MethodAttr::Route => "#[route(\"/users/<id>\", method = \"GET\")]".to_owned(),
            };
            if input.is_empty() {
                return Err(syn::Error::new(
                    Span::call_site(),
                    format!("missing route path: write it as a string, like `{example}`"),
                ));
            }
            let path: LitStr = input.parse().map_err(|error| {
                syn::Error::new(
                    error.span(),
                    format!("expected the route path as a string literal, like `{example}`"),
                )
            })?;
            let mut attr = RouteAttr {
                kind,
                path,
                methods: Vec::new(),
                wrap: Vec::new(),
                unknown_keys: Vec::new(),
            };
            if let MethodAttr::Fixed(method) = kind {
                attr.methods.push(MethodName {
                    name: method.to_owned(),
                    span: Span::call_site(),
                });
            }
            while !input.is_empty() {
                input.parse::<Token![,]>()?;
                if input.is_empty() {
                    break;
                }
                let key: Ident = input.parse()?;
                if key == "wrap" {
                    input.parse::<Token![=]>()?;
                    let list: ExprArray = input.parse().map_err(|error| {
                        syn::Error::new(
                            error.span(),
                            "`wrap` takes a list of middleware, like `wrap = [audit, Timeout::new(..)]`",
                        )
                    })?;
                    attr.wrap.extend(list.elems);
                    continue;
                }
                if let MethodAttr::Fixed(method) = kind {
                    return Err(syn::Error::new(
                        key.span(),
                        format!(
                            "`#[{}]` takes the route path and `wrap = [..]` only, like `{example}`; use `#[route]` for several methods",
                            method.to_ascii_lowercase()
                        ),
                    ));
                }
                input.parse::<Token![=]>()?;
                let value: LitStr = input.parse()?;
                if key == "method" {
                    attr.methods.push(MethodName {
                        name: value.value(),
                        span: value.span(),
                    });
                } else {
                    attr.unknown_keys.push(key);
                }
            }
            Ok(attr)
        };
        parser.parse2(tokens)
    }
}
