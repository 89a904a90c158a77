//! A handler may share its name with a module, a type or an import beside it;
//! `routes![]` takes handlers by module path, by `use`, and nested in functions.

use std::time;

mod users {
    pub struct User;
}

#[waypost::get("/users")]
async fn users() -> &'static str {
    let _ = users::User;
    "users"
}

#[waypost::get("/time")]
async fn time() -> String {
    format!("{:?}", time::Duration::from_secs(1))
}

#[allow(non_camel_case_types)]
struct status {}

#[waypost::get("/status")]
async fn status() -> &'static str {
    let _ = status {};
    "ok"
}

mod api {
    pub struct User;

    pub mod users {
        #[waypost::get("/api/users/<id>")]
        pub async fn get_user(id: u64) -> String {
            id.to_string()
        }

        /// A module named like the handler inside the handler's own module.
        pub mod list {}

        #[waypost::get("/api/users")]
        pub async fn list() -> &'static str {
            "all"
        }

        /// Beside its module namesake, the handler is listed by its bare name.
        pub fn routes() -> &'static [waypost::Route] {
            waypost::routes![list]
        }
    }

    /// A named re-export carries the route with the handler.
    pub use self::users::get_user as fetch_user;

    pub mod admin {
        use super::*;

        /// Named like a handler the glob import above brings in: its own wins.
        #[waypost::get("/admin/users")]
        pub async fn list() -> &'static str {
            let _ = User;
            "admin"
        }

        pub fn routes() -> &'static [waypost::Route] {
            waypost::routes![list]
        }

        /// `self::` names it too.
        pub fn routes_by_path() -> &'static [waypost::Route] {
            waypost::routes![self::list]
        }
    }
}

mod imported {
    use crate::api::users::get_user;

    pub fn routes() -> &'static [waypost::Route] {
        waypost::routes![get_user]
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn imported_handlers_are_listed() {
            let _ = routes();
        }
    }
}

fn main() {
    #[waypost::get("/nested")]
    async fn nested() -> &'static str {
        "nested"
    }

    let app = waypost::App::new()
        .mount(
            "/",
            waypost::routes![
                // Beside a module, type or import of the same name, the
                // bare name is the handler: routes are found through functions.
                users,
                time,
                status,
                api::users::get_user,
                nested
            ],
        )
        .mount("/", api::users::routes())
        .mount("/", api::admin::routes())
        .mount("/by-path", api::admin::routes_by_path())
        .mount("/v2", waypost::routes![api::fetch_user])
        .mount("/again", imported::routes());
    let app = app.build().expect("the routes build");
    let paths: Vec<String> = app.routes().iter().map(|route| route.path.clone()).collect();
    assert_eq!(paths.len(), 12, "{paths:?} (the ten, and the two health probes)");
}
