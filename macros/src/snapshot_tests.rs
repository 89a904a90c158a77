//! The pretty-printed expansion of representative handlers, compared with
//! checked-in files so that every change to generated code is reviewed.
//!
//! After a deliberate change: `WAYPOST_BLESS=1 cargo test -p waypost-macros`,
//! then review the diff of `macros/snapshots/`.

use proc_macro2::TokenStream;
use quote::quote;

use crate::route::{expand_route, MethodAttr};

fn pretty(tokens: TokenStream) -> String {
    let file: syn::File = syn::parse2(tokens).expect("expansion parses as a file");
    prettyplease::unparse(&file)
}

fn assert_snapshot(name: &str, actual: &str) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("snapshots")
        .join(format!("{name}.rs"));
    if std::env::var_os("WAYPOST_BLESS").is_some() {
        std::fs::write(&path, actual).expect("write snapshot");
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        expected == actual,
        "expansion of `{name}` changed; review it and re-run with WAYPOST_BLESS=1.\n--- {}\n{actual}",
        path.display()
    );
}

#[test]
fn get_handler_with_param_state_and_json() {
    let expanded = expand_route(
        MethodAttr::Fixed("GET"),
        quote!("/users/<id>"),
        quote! {
            pub async fn get_user(id: u64, State(db): State<Db>) -> Result<Json<User>, ApiError> {
                db.find(id).await.map(Json)
            }
        },
    );
    assert_snapshot("get_user", &pretty(expanded));
}

#[test]
fn route_with_two_methods_and_a_body() {
    let expanded = expand_route(
        MethodAttr::Route,
        quote!("/items/<rest..>", method = "PUT", method = "POST"),
        quote! {
            async fn put_item(rest: String, headers: HeaderMap, Json(item): Json<Item>) -> StatusCode {
                StatusCode::NO_CONTENT
            }
        },
    );
    assert_snapshot("put_item", &pretty(expanded));
}

#[test]
fn routes_table() {
    let expanded = crate::routes::expand_routes(quote!(index, users::get_user));
    let wrapped = quote!(fn table() -> &'static [::waypost::__private::Route] { #expanded });
    assert_snapshot("routes", &pretty(wrapped));
}

#[test]
fn middleware_with_an_extractor_and_provides() {
    let expanded = crate::middleware::expand_middleware(
        quote!(provides = User),
        quote! {
            /// Checks the bearer token.
            pub async fn require_user(bearer: Bearer, mut req: Request, next: Next) -> Result<Response, Problem> {
                req.extensions_mut().insert(User::from(bearer));
                Ok(next.run(req).await)
            }
        },
    );
    assert_snapshot("require_user", &pretty(expanded));
}
