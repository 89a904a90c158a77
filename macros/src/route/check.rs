//! Validation: the path against the handler's arguments, the methods, the
//! handler's shape. Every fault is recorded; nothing stops at the first.

use proc_macro2::Span;
use syn::spanned::Spanned;
use syn::LitStr;

use super::attr::{MethodAttr, RouteAttr, KNOWN_METHODS};
use super::expand::unraw;
use super::handler::Handler;
use crate::diagnostics::Diagnostics;
use crate::path::PathPattern;

/// What validation established, for expansion.
pub(crate) struct Checked {
    pub(crate) pattern: PathPattern,
    /// For each handler argument: the index of the path parameter it binds, if any.
    pub(crate) param_of_arg: Vec<Option<usize>>,
    /// Upper-case method names, deduplicated, in the order written.
    pub(crate) methods: Vec<String>,
}

/// Validates the route; returns `None` when the path did not parse.
pub(crate) fn check(
    route: &RouteAttr,
    handler: &Handler,
    diagnostics: &mut Diagnostics,
) -> Option<Checked> {
    check_signature(handler, diagnostics);
    let methods = check_methods(route, diagnostics);

    let path = route.path.value();
    let pattern = match PathPattern::parse(&path) {
        Ok(pattern) => pattern,
        Err(errors) => {
            for error in errors {
                let (span, message) = locate(&route.path, &path, error.range, &error.message);
                diagnostics.error(span, message);
            }
            return None;
        }
    };

    let mut param_of_arg = vec![None; handler.args.len()];
    for (index, (name, range)) in pattern.params().enumerate() {
        let bound = handler.args.iter().position(|arg| {
            arg.binding
                .as_ref()
                .is_some_and(|ident| unraw(ident) == name)
        });
        match bound {
            Some(arg) => param_of_arg[arg] = Some(index),
            None => {
                let near = handler
                    .args
                    .iter()
                    .filter_map(|arg| arg.binding.as_ref().map(unraw))
                    .filter(|arg| !pattern.params().any(|(param, _)| param == arg))
                    .find(|arg| is_near_miss(arg, name));
                let message = match near {
                    Some(arg) => format!(
                        "path parameter `<{name}>` has no matching argument: the argument `{arg}` looks like it; rename it `{name}`, or the parameter `<{arg}>`"
                    ),
                    None => format!(
                        "path parameter `<{name}>` has no matching argument: add an argument named `{name}` to `{}`, like `{name}: u64`",
                        handler.ident()
                    ),
                };
                let (span, message) = locate(&route.path, &path, range.clone(), &message);
                diagnostics.error(span, message);
            }
        }
    }

    check_upgrade_method(handler, &methods, diagnostics);

    Some(Checked {
        pattern,
        param_of_arg,
        methods,
    })
}

/// A `WebSocketUpgrade` argument on a route that answers anything but GET:
/// an upgrade is a GET request, so the route could never upgrade. Found by
/// the type's name (an alias escapes it; the extractor then answers 405).
fn check_upgrade_method(handler: &Handler, methods: &[String], diagnostics: &mut Diagnostics) {
    if methods.iter().all(|method| method == "GET") {
        return;
    }
    for arg in &handler.args {
        let syn::Type::Path(path) = &arg.ty else {
            continue;
        };
        let Some(last) = path.path.segments.last() else {
            continue;
        };
        if last.ident == "WebSocketUpgrade" {
            diagnostics.error(
                last.ident.span(),
                format!(
                    "a WebSocket upgrade is a GET request, and this route answers {}: declare it with `#[get(..)]`",
                    methods.join(", ")
                ),
            );
        }
    }
}

/// Whether an argument name is probably a misspelling of a parameter name:
/// the same once case and underscores are dropped (`userId`, `user_id`), one
/// ending the other (`_id`, `id`), or at most two edits apart.
fn is_near_miss(arg: &str, param: &str) -> bool {
    let squash = |text: &str| -> String {
        text.chars()
            .filter(|c| *c != '_')
            .flat_map(char::to_lowercase)
            .collect()
    };
    let (a, p) = (squash(arg), squash(param));
    if a.is_empty() || p.is_empty() || arg == param {
        return false;
    }
    a == p
        || (a.len() >= 2 && p.ends_with(&a))
        || (p.len() >= 2 && a.ends_with(&p))
        || (p.chars().count() > 3 && edit_distance(&a, &p) <= 2)
}

/// Levenshtein distance between two short names.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = diagonal + usize::from(ca != *cb);
            diagonal = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(row[j + 1] + 1);
        }
    }
    row[b.len()]
}

pub(crate) fn check_signature(handler: &Handler, diagnostics: &mut Diagnostics) {
    let sig = &handler.function.sig;
    if sig.asyncness.is_none() {
        diagnostics.error(
            sig.fn_token.span,
            "a route handler must be an `async fn`: add `async` before `fn`",
        );
    }
    if let Some(receiver) = &handler.receiver {
        diagnostics.error(
            receiver.span(),
            "a route handler cannot take `self`: make it a free `async fn` and take shared data as `State<T>`",
        );
    }
    if !sig.generics.params.is_empty() {
        diagnostics.error(
            sig.generics.span(),
            "a route handler cannot be generic: the route table needs one concrete function",
        );
    }
    if let Some(variadic) = &sig.variadic {
        diagnostics.error(variadic.span(), "a route handler cannot be variadic");
    }
    if let Some(unsafety) = &sig.unsafety {
        diagnostics.error(
            unsafety.span,
            "a route handler cannot be `unsafe`: the router calls it with no caller to uphold its contract",
        );
    }
    if handler.args.len() > MAX_ARGS {
        let extra = &handler.args[MAX_ARGS];
        diagnostics.error(
            extra.ty.span(),
            format!("a route handler takes at most {MAX_ARGS} arguments: gather several into one extractor (a struct that implements `FromRequestParts`, or `Query<T>` with a struct `T`)"),
        );
    }
    if handler.receiver.is_none() {
        if let Some(span) = self_type_mention(handler) {
            diagnostics.error(
                span,
                "a route handler cannot name `Self`: it is served as a function of its own, not as a method of the type; write the type by name",
            );
        }
    }
}

/// The most arguments a handler takes: the arities `routes![]` can list.
const MAX_ARGS: usize = 16;

/// Where the handler names `Self` (it is then inside an `impl`): in its
/// signature, or in its body outside the items nested there (an `impl` or
/// type of its own may name its `Self`).
fn self_type_mention(handler: &Handler) -> Option<Span> {
    use proc_macro2::TokenTree;
    use quote::ToTokens;

    fn search(tokens: proc_macro2::TokenStream) -> Option<Span> {
        let mut tokens = tokens.into_iter().peekable();
        while let Some(token) = tokens.next() {
            match token {
                TokenTree::Ident(ident) if ident == "Self" => return Some(ident.span()),
                TokenTree::Ident(ident)
                    if ["impl", "trait", "struct", "enum", "union"]
                        .iter()
                        .any(|item| ident == item) =>
                {
                    // Skip the nested item up to its body.
                    for token in tokens.by_ref() {
                        if matches!(&token, TokenTree::Group(group) if group.delimiter() == proc_macro2::Delimiter::Brace)
                        {
                            break;
                        }
                    }
                }
                TokenTree::Group(group) => {
                    if let Some(span) = search(group.stream()) {
                        return Some(span);
                    }
                }
                _ => {}
            }
        }
        None
    }
    let sig = &handler.function.sig;
    search(sig.inputs.to_token_stream())
        .or_else(|| search(sig.output.to_token_stream()))
        .or_else(|| search(handler.function.block.to_token_stream()))
}

fn check_methods(route: &RouteAttr, diagnostics: &mut Diagnostics) -> Vec<String> {
    for key in &route.unknown_keys {
        diagnostics.error(
            key.span(),
            format!("unknown key `{key}` in `#[route]`: the keys are `method`, like `method = \"GET\"`, and `wrap`, like `wrap = [audit]`"),
        );
    }
    if route.kind == MethodAttr::Route && route.methods.is_empty() {
        diagnostics.error(
            route.path.span(),
            "`#[route]` needs at least one method: add `method = \"GET\"` (repeat `method` for more)",
        );
    }
    let mut methods: Vec<String> = Vec::new();
    for method in &route.methods {
        if !KNOWN_METHODS.contains(&method.name.as_str()) {
            let hint = if KNOWN_METHODS.contains(&method.name.to_ascii_uppercase().as_str()) {
                format!(
                    "; methods are upper-case: `{}`",
                    method.name.to_ascii_uppercase()
                )
            } else {
                String::new()
            };
            diagnostics.error(
                method.span,
                format!(
                    "unknown HTTP method `{}`: expected one of {}{hint}",
                    method.name,
                    KNOWN_METHODS.join(", ")
                ),
            );
        } else if methods.contains(&method.name) {
            diagnostics.error(
                method.span,
                format!("method `{}` is listed twice", method.name),
            );
        } else {
            methods.push(method.name.clone());
        }
    }
    methods
}

/// Points at `range` of the path literal. Stable compilers cannot point inside
/// a literal, so there the message quotes the path and underlines the range.
fn locate(
    lit: &LitStr,
    path: &str,
    range: std::ops::Range<usize>,
    message: &str,
) -> (Span, String) {
    // The literal's token starts with `"`; raw strings and escapes shift bytes, so only plain literals get a subspan.
    let token = lit.token().to_string();
    if token.len() == path.len() + 2 {
        if let Some(span) = lit.token().subspan(range.start + 1..range.end + 1) {
            return (span, message.to_owned());
        }
    }
    let width = (range.end - range.start).max(1);
    let underline = format!("{}{}", " ".repeat(range.start), "^".repeat(width));
    (lit.span(), format!("{message}\n  {path}\n  {underline}"))
}

#[cfg(test)]
mod tests {
    use super::is_near_miss;

    #[test]
    fn near_misses_of_parameter_names() {
        for (arg, param) in [
            ("userid", "user_id"),
            ("userId", "user_id"),
            ("_id", "user_id"),
            ("id", "user_id"),
            ("usr_id", "user_id"),
            ("slgu", "slug"),
        ] {
            assert!(is_near_miss(arg, param), "{arg} ~ {param}");
        }
        for (arg, param) in [
            ("db", "id"),
            ("body", "user_id"),
            ("query", "name"),
            ("id", "id"),
        ] {
            assert!(!is_near_miss(arg, param), "{arg} !~ {param}");
        }
    }
}
