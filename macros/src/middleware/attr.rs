//! Parsing `#[middleware]`'s arguments: `provides = T`, repeatable.

use proc_macro2::TokenStream;
use syn::parse::{ParseStream, Parser};
use syn::{Ident, Token, Type};

/// A parsed `#[middleware(..)]`.
pub(crate) struct MiddlewareAttr {
    /// The extension types the middleware inserts.
    pub(crate) provides: Vec<Type>,
}

impl MiddlewareAttr {
    pub(crate) fn parse(tokens: TokenStream) -> syn::Result<MiddlewareAttr> {
        let parser = |input: ParseStream| {
            let mut attr = MiddlewareAttr {
                provides: Vec::new(),
            };
            while !input.is_empty() {
                let key: Ident = input.parse()?;
                if key != "provides" {
                    return Err(syn::Error::new(
                        key.span(),
                        format!("unknown key `{key}` in `#[middleware]`: the only key is `provides`, like `provides = User`"),
                    ));
                }
                if !input.peek(Token![=]) {
                    return Err(syn::Error::new(
                        key.span(),
                        "`provides` needs the type the middleware inserts, like `provides = User`",
                    ));
                }
                let eq: Token![=] = input.parse()?;
                if input.is_empty() || input.peek(Token![,]) {
                    return Err(syn::Error::new(
                        eq.span,
                        "`provides` needs the type the middleware inserts, like `provides = User`",
                    ));
                }
                attr.provides.push(input.parse()?);
                if !input.is_empty() {
                    input.parse::<Token![,]>()?;
                }
            }
            Ok(attr)
        };
        parser.parse2(tokens)
    }
}
