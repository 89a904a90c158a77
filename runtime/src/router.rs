//! The route table built once at start-up: matchit for paths, a small method table per path.

use std::collections::HashMap;
use std::sync::Arc;

use http::{header, HeaderValue, Method, StatusCode};

use crate::app::{AppShared, BuildError, Mount};
use crate::problem::Problem;
use crate::response::{IntoResponse, Response};
use crate::route::{method_rank, Route, RouteDef};
use crate::service::RouteFuture;
use crate::Body;

/// One route of a built app, as listed by `App::routes`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteInfo {
    /// The method.
    pub method: Method,
    /// The full path, prefix included, as written (`/api/users/<id>`).
    pub path: String,
    /// The handler's name, with its module path.
    pub handler: String,
    /// `file:line` of the route attribute.
    pub location: String,
}

impl std::fmt::Display for RouteInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:<7} {} -> {} ({})",
            self.method.as_str(),
            self.path,
            self.handler,
            self.location
        )
    }
}

/// All routes that share one path shape.
struct PathNode {
    endpoints: Vec<(Method, Route)>,
    /// The `Allow` header of a 405 from this path, computed once.
    allow: HeaderValue,
}

impl PathNode {
    fn find(&self, method: &Method) -> Option<&Route> {
        self.endpoints
            .iter()
            .find(|(m, _)| m == method)
            .map(|(_, route)| route)
    }
}

/// A route under one method, with its full path, while the router is built.
type Endpoint = (Method, Route, String);

/// The router: matchit maps a path to a node, the node maps a method to a handler.
pub(crate) struct Router {
    paths: matchit::Router<usize>,
    nodes: Vec<PathNode>,
    table: Vec<RouteInfo>,
}

impl Router {
    pub(crate) fn build(mounts: &[Mount]) -> Result<Router, BuildError> {
        // Path shape → index into `pending`: the matchit path of that shape
        // and every (method, route, full path) that shares it.
        let mut by_shape: HashMap<String, usize> = HashMap::new();
        let mut pending: Vec<(String, Vec<Endpoint>)> = Vec::new();
        let mut table = Vec::new();

        for mount in mounts {
            for route in mount.routes {
                let def = route.def();
                let path = join(&mount.prefix, def.path);
                let node = *by_shape
                    .entry(join(&mount.prefix, def.shape))
                    .or_insert_with(|| {
                        let router_path = join(&escape_braces(&mount.prefix), def.router_path);
                        pending.push((router_path, Vec::new()));
                        pending.len() - 1
                    });
                let endpoints = &mut pending[node].1;
                for method in def.methods.iter() {
                    if let Some((_, first, first_path)) =
                        endpoints.iter().find(|(m, _, _)| *m == method)
                    {
                        return Err(BuildError::Conflict {
                            method,
                            first_path: first_path.clone(),
                            first: describe(first.def()),
                            second_path: path,
                            second: describe(def),
                        });
                    }
                    table.push(RouteInfo {
                        method: method.clone(),
                        path: path.clone(),
                        handler: format!("{}::{}", def.module_path, def.handler_name),
                        location: route.location(),
                    });
                    endpoints.push((method, *route, path.clone()));
                }
            }
        }

        let mut paths = matchit::Router::new();
        let mut nodes = Vec::with_capacity(pending.len());
        for (index, (router_path, endpoints)) in pending.into_iter().enumerate() {
            let (_, first, first_path) = &endpoints[0];
            paths
                .insert(router_path, index)
                .map_err(|error| BuildError::InvalidPath {
                    path: first_path.clone(),
                    handler: describe(first.def()),
                    reason: error.to_string(),
                })?;
            nodes.push(PathNode {
                allow: allow_header(endpoints.iter().map(|(m, _, _)| m)),
                endpoints: endpoints
                    .into_iter()
                    .map(|(method, route, _)| (method, route))
                    .collect(),
            });
        }
        Ok(Router {
            paths,
            nodes,
            table,
        })
    }

    pub(crate) fn table(&self) -> &[RouteInfo] {
        &self.table
    }

    pub(crate) fn routes(&self) -> impl Iterator<Item = &Route> {
        self.nodes
            .iter()
            .flat_map(|node| node.endpoints.iter().map(|(_, route)| route))
    }

    /// Finds what answers `method` on `path`: one matchit lookup, then a
    /// short scan of that path's methods (HEAD falls back to GET).
    pub(crate) fn resolve<'r, 'p>(&'r self, method: &Method, path: &'p str) -> Resolution<'r, 'p> {
        let Ok(found) = self.paths.at(path) else {
            return Resolution::NotFound;
        };
        let node = &self.nodes[*found.value];
        if let Some(route) = node.find(method) {
            return Resolution::Route {
                route,
                params: found.params,
                head_of_get: false,
            };
        }
        if method == Method::HEAD {
            if let Some(route) = node.find(&Method::GET) {
                return Resolution::Route {
                    route,
                    params: found.params,
                    head_of_get: true,
                };
            }
        }
        Resolution::MethodNotAllowed { allow: &node.allow }
    }

    /// Finds the handler for a request and starts it.
    pub(crate) fn dispatch(
        &self,
        request: http::Request<Body>,
        app: &Arc<AppShared>,
    ) -> RouteFuture {
        // `Uri` is reference-counted: this clone frees the request to move
        // into the handler while the matched params borrow the path.
        let uri = request.uri().clone();
        match self.resolve(request.method(), uri.path()) {
            Resolution::Route {
                route,
                params,
                head_of_get,
            } => {
                let future = (route.def().handler)(request, &params, app);
                if head_of_get {
                    RouteFuture::head(future)
                } else {
                    RouteFuture::handler(future)
                }
            }
            Resolution::MethodNotAllowed { allow } => {
                RouteFuture::ready(method_not_allowed(request.method(), uri.path(), allow))
            }
            Resolution::NotFound => RouteFuture::ready(not_found(uri.path())),
        }
    }
}

/// What the router found for a method and path.
pub(crate) enum Resolution<'r, 'p> {
    /// A route answers; `head_of_get` when a GET route answers a HEAD request.
    Route {
        route: &'r Route,
        params: matchit::Params<'r, 'p>,
        head_of_get: bool,
    },
    /// The path exists, the method does not.
    MethodNotAllowed { allow: &'r HeaderValue },
    /// No route has this path.
    NotFound,
}

fn describe(def: &RouteDef) -> String {
    format!(
        "`{}::{}` ({}:{})",
        def.module_path, def.handler_name, def.file, def.line
    )
}

/// Joins a mount prefix and a route path: `/api` + `/users` → `/api/users`; `/api` + `/` → `/api`.
fn join(prefix: &str, path: &str) -> String {
    let prefix = prefix.trim_end_matches('/');
    if prefix.is_empty() {
        path.to_owned()
    } else if path == "/" {
        prefix.to_owned()
    } else {
        format!("{prefix}{path}")
    }
}

fn escape_braces(prefix: &str) -> String {
    prefix.replace('{', "{{").replace('}', "}}")
}

fn allow_header<'a>(methods: impl Iterator<Item = &'a Method>) -> HeaderValue {
    let mut methods: Vec<&Method> = methods.collect();
    if methods.contains(&&Method::GET) && !methods.contains(&&Method::HEAD) {
        methods.push(&Method::HEAD);
    }
    methods.sort_by_key(|method| method_rank(method));
    let names: Vec<&str> = methods.into_iter().map(Method::as_str).collect();
    HeaderValue::from_str(&names.join(", ")).unwrap_or_else(|_| HeaderValue::from_static(""))
}

fn not_found(path: &str) -> Response {
    Problem::new(StatusCode::NOT_FOUND)
        .with_detail(format!("no route matches the path `{path}`"))
        .with_instance(path)
        .into_response()
}

fn method_not_allowed(method: &Method, path: &str, allow: &HeaderValue) -> Response {
    let mut response = Problem::new(StatusCode::METHOD_NOT_ALLOWED)
        .with_detail(format!(
            "the path `{path}` does not answer {method}; it answers {}",
            allow.to_str().unwrap_or_default()
        ))
        .with_instance(path)
        .into_response();
    response.headers_mut().insert(header::ALLOW, allow.clone());
    response
}

#[cfg(test)]
mod tests {
    use super::join;

    #[test]
    fn join_handles_root_and_trailing_slashes() {
        assert_eq!(join("/", "/users"), "/users");
        assert_eq!(join("", "/users"), "/users");
        assert_eq!(join("/api", "/users"), "/api/users");
        assert_eq!(join("/api/", "/users"), "/api/users");
        assert_eq!(join("/api", "/"), "/api");
        assert_eq!(join("/", "/"), "/");
    }
}
