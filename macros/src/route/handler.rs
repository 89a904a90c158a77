//! The handler function as the macros see it: its name and its arguments.

use syn::{FnArg, Ident, ItemFn, Pat, Type};

/// One argument of the handler, other than a `self` receiver.
pub(crate) struct Arg {
    pub(crate) ty: Type,
    /// The bound name when the pattern is a plain identifier: it may bind a path parameter.
    pub(crate) binding: Option<Ident>,
}

/// A parsed handler.
pub(crate) struct Handler {
    pub(crate) function: ItemFn,
    pub(crate) args: Vec<Arg>,
    /// The `self` receiver, if the user wrote one (an error).
    pub(crate) receiver: Option<syn::Receiver>,
}

impl Handler {
    pub(crate) fn parse(function: ItemFn) -> Handler {
        let mut args = Vec::new();
        let mut receiver = None;
        for input in &function.sig.inputs {
            match input {
                FnArg::Receiver(r) => receiver = Some(r.clone()),
                FnArg::Typed(typed) => {
                    let binding = match &*typed.pat {
                        Pat::Ident(pat) if pat.by_ref.is_none() && pat.subpat.is_none() => {
                            Some(pat.ident.clone())
                        }
                        _ => None,
                    };
                    args.push(Arg {
                        ty: (*typed.ty).clone(),
                        binding,
                    });
                }
            }
        }
        Handler {
            function,
            args,
            receiver,
        }
    }

    pub(crate) fn ident(&self) -> &Ident {
        &self.function.sig.ident
    }
}
