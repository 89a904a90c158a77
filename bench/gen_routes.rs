//! Generates each framework's route table from `bench/routes.txt`, so that
//! every server carries exactly the same routes. Each server's `build.rs`
//! includes this file and calls `generate` with the table it needs.

use std::fmt::Write;
use std::path::PathBuf;

struct Route {
    method: String,
    path: String,
    params: Vec<String>,
}

/// The measured endpoints have hand-written handlers in each server.
const MEASURED: [&str; 4] = ["/plaintext", "/json", "/echo", "/users/{id}"];

pub fn generate(which: &str) {
    let table = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap()).join("../routes.txt");
    println!("cargo:rerun-if-changed={}", table.display());
    let text = std::fs::read_to_string(&table).expect("read routes.txt");
    let routes: Vec<Route> = text
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(|line| {
            let (method, path) = line.split_once(' ').expect("METHOD PATH");
            let params = path
                .split('/')
                .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
                .map(str::to_owned)
                .collect();
            Route {
                method: method.to_owned(),
                path: path.to_owned(),
                params,
            }
        })
        .collect();
    let generic: Vec<&Route> = routes
        .iter()
        .filter(|r| !MEASURED.contains(&r.path.as_str()))
        .collect();

    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap());
    let code = match which {
        "waypost" => waypost(&generic),
        "axum" => axum(&generic),
        "actix" => actix(&generic),
        "paths" => all_paths(&routes),
        other => panic!("no route table for {other}"),
    };
    std::fs::write(out.join(format!("{which}_routes.rs")), code).unwrap();
}

fn waypost(routes: &[&Route]) -> String {
    let mut code = String::new();
    let mut names = Vec::new();
    for (i, route) in routes.iter().enumerate() {
        let path = route.path.replace('{', "<").replace('}', ">");
        let args: Vec<String> = route
            .params
            .iter()
            .map(|p| format!("{p}: String"))
            .collect();
        let uses: Vec<String> = route
            .params
            .iter()
            .map(|p| format!("let _ = {p};"))
            .collect();
        writeln!(
            code,
            "#[waypost::route(\"{path}\", method = \"{}\")]\nasync fn route_{i}({}) -> &'static str {{ {} \"{}\" }}",
            route.method,
            args.join(", "),
            uses.join(" "),
            route.path
        )
        .unwrap();
        names.push(format!("route_{i}"));
    }
    writeln!(
        code,
        "pub fn github_routes() -> &'static [waypost::Route] {{ waypost::routes![{}] }}",
        names.join(", ")
    )
    .unwrap();
    code
}

fn axum(routes: &[&Route]) -> String {
    let mut code =
        String::from("pub fn github_routes(router: axum::Router) -> axum::Router {\n    router\n");
    for route in routes {
        let method = route.method.to_lowercase();
        writeln!(
            code,
            "        .route(\"{}\", axum::routing::{method}(|| async {{ \"{}\" }}))",
            route.path, route.path
        )
        .unwrap();
    }
    code.push_str("}\n");
    code
}

fn actix(routes: &[&Route]) -> String {
    let mut code =
        String::from("pub fn github_routes(config: &mut actix_web::web::ServiceConfig) {\n");
    for route in routes {
        let method = route.method.to_lowercase();
        writeln!(
            code,
            "    config.route(\"{}\", actix_web::web::{method}().to(|| async {{ \"{}\" }}));",
            route.path, route.path
        )
        .unwrap();
    }
    code.push_str("}\n");
    code
}

/// Every (method, concrete path) of the table, parameters filled in, for the router benchmark.
fn all_paths(routes: &[Route]) -> String {
    let mut code = String::from("pub const ALL_PATHS: &[(&str, &str, &str)] = &[\n");
    for route in routes {
        let concrete: Vec<String> = route
            .path
            .split('/')
            .map(|s| {
                if s.starts_with('{') {
                    "42".to_owned()
                } else {
                    s.to_owned()
                }
            })
            .collect();
        writeln!(
            code,
            "    (\"{}\", \"{}\", \"{}\"),",
            route.method,
            route.path,
            concrete.join("/")
        )
        .unwrap();
    }
    code.push_str("];\n");
    code
}
