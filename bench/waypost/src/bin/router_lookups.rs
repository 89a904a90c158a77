//! Router micro-benchmark: `ROUNDS` passes over every (method, path) of the
//! route table, through waypost's router or through matchit used directly.
//! Run under callgrind with ROUNDS and 2×ROUNDS: the difference divided by
//! the extra lookups is the instruction count of one lookup.
//!
//! Usage: `router_lookups waypost|matchit ROUNDS`

use std::hint::black_box;

use bench_common::generated::paths::ALL_PATHS;
use waypost::{App, Method};

mod github {
    include!(concat!(env!("OUT_DIR"), "/waypost_routes.rs"));
}

#[waypost::get("/plaintext")]
async fn plaintext() {}
#[waypost::get("/json")]
async fn json() {}
#[waypost::post("/echo")]
async fn echo() {}
#[waypost::get("/users/<id>")]
async fn user(id: u64) {
    let _ = id;
}

fn main() {
    let mut args = std::env::args().skip(1);
    let which = args.next().expect("waypost|matchit");
    let rounds: usize = args.next().expect("ROUNDS").parse().expect("a number");
    let requests: Vec<(Method, &str)> = ALL_PATHS
        .iter()
        .map(|(method, _, path)| (method.parse().unwrap(), *path))
        .collect();

    let found = match which.as_str() {
        "waypost" => {
            let app = App::new()
                .mount("/", waypost::routes![plaintext, json, echo, user])
                .mount("/", github::github_routes())
                .build()
                .expect("build");
            let mut found = 0usize;
            for _ in 0..rounds {
                for (method, path) in &requests {
                    found += app.route_for(black_box(method), black_box(path)).is_some() as usize;
                }
            }
            found
        }
        "matchit" => {
            // matchit alone: a path tree whose values are per-path method lists,
            // which is the least a router that answers 405 must keep.
            let mut router = matchit::Router::new();
            let mut methods: Vec<Vec<(Method, usize)>> = Vec::new();
            let mut index_of = std::collections::HashMap::new();
            for (i, (method, pattern, _)) in ALL_PATHS.iter().enumerate() {
                let slot = *index_of.entry(*pattern).or_insert_with(|| {
                    methods.push(Vec::new());
                    methods.len() - 1
                });
                if methods[slot].is_empty() {
                    router.insert(*pattern, slot).expect("insert");
                }
                methods[slot].push((method.parse().unwrap(), i));
            }
            let mut found = 0usize;
            for _ in 0..rounds {
                for (method, path) in &requests {
                    if let Ok(matched) = router.at(black_box(path)) {
                        found += methods[*matched.value]
                            .iter()
                            .any(|(m, _)| m == black_box(method))
                            as usize;
                    }
                }
            }
            found
        }
        other => panic!("unknown router {other}"),
    };
    assert_eq!(found, rounds * requests.len(), "every path must resolve");
    println!("{found}");
}
