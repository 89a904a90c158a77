//! The route table built once at start-up: matchit for paths, a small method table per path.

use std::collections::HashMap;

use http::{header, HeaderValue, Method, StatusCode};

use crate::app::BuildError;
use crate::group::Mount;
use crate::middleware::{ChainEnd, ChainFuture, Chains, Layer, Next};
use crate::overlap::{self, Mounted};
use crate::problem::Problem;
use crate::request::{Request, Routed};
use crate::response::{IntoResponse, Response};
use crate::route::{method_rank, Route, RouteMiddleware};
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

/// A route under one method, as the router serves it.
pub(crate) struct Endpoint {
    pub(crate) route: &'static Route,
    /// The chain of its group and route middleware; `None` when it has none,
    /// and the handler is called directly.
    pub(crate) chain: Option<u32>,
    /// The full path pattern, prefixes included: `/api/users/<id>`.
    pub(crate) pattern: String,
}

/// All routes that share one path shape.
pub(crate) struct PathNode {
    endpoints: Vec<(Method, Endpoint)>,
    /// Where the shape's parameters sit in a path it matched.
    params: ParamLayout,
    /// The `Allow` header of a 405 from this path, computed once.
    allow: HeaderValue,
    /// The chain a 405 runs through: the group middleware all the path's routes share.
    method_not_allowed: Option<u32>,
    /// When the path's routes come from groups with different middleware:
    /// for a CORS preflight asking for one of them, the chain of that
    /// route's groups (ending in the 405 its `Cors` answers before).
    preflight: Box<[(Method, u32)]>,
}

impl PathNode {
    /// The chain for a 405: for a CORS preflight, the chain of the groups
    /// of the route it asks about, when that has more than the shared one.
    fn method_not_allowed_chain(&self, request: &Request) -> Option<u32> {
        if !self.preflight.is_empty() && request.method() == Method::OPTIONS {
            let asked = request
                .headers()
                .get(header::ACCESS_CONTROL_REQUEST_METHOD)
                .and_then(|value| Method::from_bytes(value.as_bytes()).ok());
            if let Some(asked) = asked {
                let found = self.preflight.iter().find(|(method, _)| *method == asked);
                if let Some((_, chain)) = found {
                    return Some(*chain);
                }
            }
        }
        self.method_not_allowed
    }

    fn find(&self, method: &Method) -> Option<&Endpoint> {
        self.endpoints
            .iter()
            .find(|(m, _)| m == method)
            .map(|(_, endpoint)| endpoint)
    }

    /// The endpoint that answers `method` (HEAD falls back to GET), or this node for a 405.
    fn endpoint(&self, method: &Method) -> Result<&Endpoint, &PathNode> {
        match self.find(method) {
            Some(endpoint) => Ok(endpoint),
            None if method == Method::HEAD => self.find(&Method::GET).ok_or(self),
            None => Err(self),
        }
    }
}

/// A route under one method, with its full path and group middleware, while the router is built.
struct Pending<'m> {
    method: Method,
    route: &'static Route,
    path: String,
    group_layers: &'m [Layer],
}

/// The router: matchit maps a path to a node, the node maps a method to a handler.
pub(crate) struct Router {
    paths: matchit::Router<usize>,
    nodes: Vec<PathNode>,
    table: Vec<RouteInfo>,
    redirect_trailing_slash: bool,
}

impl Router {
    /// Builds the router, appending each endpoint's composed chain to `chains`.
    pub(crate) fn build(
        mounts: &[Mount],
        chains: &mut Chains,
        redirect_trailing_slash: bool,
    ) -> Result<Router, BuildError> {
        // Path shape → index into `pending`: the matchit path of that shape
        // and every endpoint that shares it.
        let mounted: Vec<Mounted> = mounts
            .iter()
            .flat_map(|mount| {
                mount.routes.iter().map(|route| Mounted {
                    shape: mount.join(route.path_shape()),
                    path: mount.join_written(route.path()),
                    route,
                })
            })
            .collect();
        overlap::check_mounted(&mounted)?;

        let mut by_shape: HashMap<String, usize> = HashMap::new();
        let mut pending: Vec<(String, Vec<Pending<'_>>)> = Vec::new();
        let mut table = Vec::new();

        for mount in mounts {
            for route in mount.routes {
                let path = mount.join_written(route.path());
                let node = *by_shape
                    .entry(mount.join(route.path_shape()))
                    .or_insert_with(|| {
                        let router_path = join(
                            &escape_braces(&mount.prefix),
                            route.router_path(),
                            mount.keep_slash,
                        );
                        pending.push((router_path, Vec::new()));
                        pending.len() - 1
                    });
                let endpoints = &mut pending[node].1;
                for method in route.methods().iter() {
                    debug_assert!(
                        endpoints.iter().all(|p| p.method != method),
                        "conflicts are refused by `overlap::check_mounted` first"
                    );
                    table.push(RouteInfo {
                        method: method.clone(),
                        path: path.clone(),
                        handler: format!("{}::{}", route.module_path(), route.handler_name()),
                        location: route.location(),
                    });
                    endpoints.push(Pending {
                        method,
                        route,
                        path: path.clone(),
                        group_layers: &mount.layers,
                    });
                }
            }
        }

        let mut paths = matchit::Router::new();
        let mut nodes = Vec::with_capacity(pending.len());
        for (index, (router_path, endpoints)) in pending.into_iter().enumerate() {
            let first = &endpoints[0];
            paths
                .insert(router_path.as_str(), index)
                .map_err(|error| BuildError::InvalidPath {
                    path: first.path.clone(),
                    handler: first.route.describe(),
                    reason: error.to_string(),
                })?;
            let params = ParamLayout::of(&router_path);
            let allow = allow_header(endpoints.iter().map(|p| &p.method));
            let shared = shared_layers(endpoints.iter().map(|p| p.group_layers));
            let method_not_allowed = (!shared.is_empty())
                .then(|| chains.push(&shared, ChainEnd::MethodNotAllowed(allow.clone())));
            let preflight = preflight_chains(chains, &endpoints, shared.len(), &allow);
            // A route's own middleware is made once per route, not per method:
            // a `RateLimit` on a GET + POST route is one limiter.
            let mut own_layers: Vec<(&'static Route, Vec<Layer>)> = Vec::new();
            let endpoints = endpoints
                .into_iter()
                .map(|p| -> Result<(Method, Endpoint), BuildError> {
                    let own = match own_layers.iter().find(|(r, _)| std::ptr::eq(*r, p.route)) {
                        Some((_, layers)) => layers.clone(),
                        None => {
                            let mut own = RouteMiddleware::default();
                            (p.route.middleware)(&mut own);
                            if let Some((name, reason)) = own.0.iter().find_map(Layer::invalid) {
                                return Err(BuildError::InvalidMiddleware {
                                    name,
                                    reason: reason.to_owned(),
                                });
                            }
                            own_layers.push((p.route, own.0.clone()));
                            own.0
                        }
                    };
                    let layers: Vec<&Layer> = p.group_layers.iter().chain(&own).collect();
                    let chain = (!layers.is_empty())
                        .then(|| chains.push(&layers, ChainEnd::Handler(p.route.handler)));
                    Ok((
                        p.method,
                        Endpoint {
                            route: p.route,
                            chain,
                            pattern: p.path,
                        },
                    ))
                })
                .collect::<Result<_, _>>()?;
            nodes.push(PathNode {
                endpoints,
                params,
                allow,
                method_not_allowed,
                preflight,
            });
        }
        Ok(Router {
            paths,
            nodes,
            table,
            redirect_trailing_slash,
        })
    }

    /// Where the parameters of the path node `node` sit.
    pub(crate) fn param_layout(&self, node: u32) -> &ParamLayout {
        &self.nodes[node as usize].params
    }

    pub(crate) fn table(&self) -> &[RouteInfo] {
        &self.table
    }

    pub(crate) fn endpoints(&self) -> impl Iterator<Item = &Endpoint> {
        self.nodes
            .iter()
            .flat_map(|node| node.endpoints.iter().map(|(_, endpoint)| endpoint))
    }

    /// Finds what answers `method` on `path`: one matchit lookup, then a
    /// short scan of that path's methods (HEAD falls back to GET).
    pub(crate) fn resolve<'r, 'p>(&'r self, method: &Method, path: &'p str) -> Resolution<'r, 'p> {
        let Ok(found) = self.paths.at(path) else {
            return Resolution::NotFound;
        };
        match self.nodes[*found.value].endpoint(method) {
            Ok(endpoint) => Resolution::Route {
                endpoint,
                params: found.params,
            },
            Err(_) => Resolution::MethodNotAllowed,
        }
    }

    /// [`Router::resolve`] without matchit's parameters, which a request
    /// does not keep (see [`ParamLayout`]): the path node's index, then its
    /// endpoint for `method` or the node for a 405. `None` for a 404.
    fn lookup(&self, method: &Method, path: &str) -> Option<(u32, Result<&Endpoint, &PathNode>)> {
        let index = *self.paths.at(path).ok()?.value;
        Some((index as u32, self.nodes[index].endpoint(method)))
    }

    /// Routes a request and starts what answers it: the route's chain or
    /// handler, a group's chain for a 405, or a ready 404/405.
    pub(crate) fn dispatch(&self, mut request: Request) -> ChainFuture {
        let path = request.uri().path();
        let (endpoint, routed) = match self.lookup(request.method(), path) {
            Some((node, Ok(endpoint))) => (endpoint, Routed::new(endpoint.route, node, path)),
            Some((_, Err(node))) => {
                return match node.method_not_allowed_chain(&request) {
                    Some(chain) => Next::start(chain).run_chain(request),
                    None => ChainFuture::ready(method_not_allowed(
                        request.method(),
                        request.uri().path(),
                        &node.allow,
                    )),
                };
            }
            None => return ChainFuture::ready(self.not_found(&request)),
        };
        // A GET route answering HEAD runs as for GET; the body is dropped
        // where the response leaves the app (`service.rs`), after every
        // middleware, so that HEAD's headers are GET's.
        request.set_routed(routed);
        match endpoint.chain {
            Some(chain) => Next::start(chain).run_chain(request),
            None => ChainFuture::boxed((endpoint.route.handler)(request)),
        }
    }

    /// A 404, or with [`App::redirect_trailing_slash`](crate::App::redirect_trailing_slash)
    /// a 308 to the path without its trailing slash when that path exists.
    fn not_found(&self, request: &Request) -> Response {
        let path = request.uri().path();
        if self.redirect_trailing_slash && path.len() > 1 && path.ends_with('/') {
            let trimmed = path.trim_end_matches('/');
            let trimmed = if trimmed.is_empty() { "/" } else { trimmed };
            // `//host/x` (or `/\host/x`, which browsers read the same) as a
            // Location is another site: never an open redirect.
            let offsite = trimmed.starts_with("//") || trimmed.contains('\\');
            if !offsite && self.paths.at(trimmed).is_ok() {
                let location = match request.uri().query() {
                    Some(query) => format!("{trimmed}?{query}"),
                    None => trimmed.to_owned(),
                };
                if let Ok(location) = HeaderValue::try_from(location) {
                    let mut response = Response::new(Body::empty());
                    *response.status_mut() = StatusCode::PERMANENT_REDIRECT;
                    response.headers_mut().insert(header::LOCATION, location);
                    return response;
                }
            }
        }
        not_found(path)
    }
}

/// What the router found for a method and path.
pub(crate) enum Resolution<'r, 'p> {
    /// A route answers (a GET route answers a HEAD request when no route is declared for HEAD).
    Route {
        endpoint: &'r Endpoint,
        params: matchit::Params<'r, 'p>,
    },
    /// The path exists, the method does not.
    MethodNotAllowed,
    /// No route has this path.
    NotFound,
}

/// Where a path shape's parameters sit in a path it matched, found once from
/// the matchit pattern: the literal bytes before each parameter (counted from
/// the end of the one before), and after the last. Parameters are whole
/// segments, so a parameter ends at the next `/`; the last ends where the
/// fixed suffix begins (or at the end, for a catch-all). For `/users/<id>`
/// the parameter is `path[7..]`, found without reading the path.
#[derive(Debug, Default)]
pub(crate) struct ParamLayout {
    /// Literal bytes before each parameter, from the previous parameter's end.
    gaps: Box<[u16]>,
    /// Literal bytes after the last parameter.
    suffix: u16,
    /// The last parameter is a catch-all (`<rest..>`).
    rest: bool,
    /// Every parameter is a whole segment (`{p0}`), as the route macros
    /// write them; otherwise `get` finds nothing and matchit's match is used.
    whole_segments: bool,
}

impl ParamLayout {
    /// Reads a matchit pattern: `/api/users/{p0}/files/{*p1}`. Prefixes
    /// escape their braces (`{{` is one `{` of the path).
    fn of(router_path: &str) -> Self {
        let mut gaps = Vec::new();
        let mut literal = 0usize;
        let mut rest = false;
        let mut whole_segments = true;
        let mut previous = '/';
        let mut chars = router_path.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '{' | '}' if chars.peek() == Some(&c) => {
                    chars.next();
                    literal += 1;
                    previous = c;
                }
                '{' => {
                    let name: String = chars.by_ref().take_while(|&c| c != '}').collect();
                    rest = name.starts_with('*');
                    whole_segments &= previous == '/' && matches!(chars.peek(), None | Some('/'));
                    gaps.push(literal as u16);
                    literal = 0;
                    previous = '}';
                }
                _ => {
                    literal += c.len_utf8();
                    previous = c;
                }
            }
        }
        ParamLayout {
            gaps: gaps.into(),
            suffix: literal as u16,
            rest,
            whole_segments,
        }
    }

    /// The raw text of the `index`-th parameter in `path`, a path this layout's pattern matched.
    pub(crate) fn get<'p>(&self, path: &'p str, index: usize) -> Option<&'p str> {
        if !self.whole_segments || index >= self.gaps.len() {
            return None;
        }
        let bytes = path.as_bytes();
        let segment_end = |from: usize| {
            bytes
                .get(from..)
                .and_then(|tail| tail.iter().position(|&byte| byte == b'/'))
                .map(|at| from + at)
        };
        let mut start = usize::from(self.gaps[0]);
        for gap in &self.gaps[1..=index] {
            start = segment_end(start)? + usize::from(*gap);
        }
        let end = if index + 1 < self.gaps.len() {
            segment_end(start)?
        } else if self.rest {
            path.len()
        } else {
            path.len().checked_sub(usize::from(self.suffix))?
        };
        path.get(start..end)
    }
}

/// For each method of a path whose groups add middleware beyond what the
/// path's routes share, a chain of its groups' middleware ending in the 405:
/// a CORS preflight for that method runs through its own group's `Cors`.
/// One chain per group, however many methods it has on the path.
fn preflight_chains(
    chains: &mut Chains,
    endpoints: &[Pending<'_>],
    shared: usize,
    allow: &HeaderValue,
) -> Box<[(Method, u32)]> {
    let mut made: Vec<(&[Layer], u32)> = Vec::new();
    let mut preflight = Vec::new();
    for pending in endpoints.iter().filter(|p| p.group_layers.len() > shared) {
        // Two mounts of one group hold equal lists of the same layers.
        let same = |layers: &[Layer]| {
            layers.len() == pending.group_layers.len()
                && layers
                    .iter()
                    .zip(pending.group_layers)
                    .all(|(a, b)| a.same_as(b))
        };
        let known = made.iter().find(|(layers, _)| same(layers));
        let chain = match known {
            Some((_, chain)) => *chain,
            None => {
                let layers: Vec<&Layer> = pending.group_layers.iter().collect();
                let end = ChainEnd::MethodNotAllowed(allow.clone());
                let chain = chains.push(&layers, end);
                made.push((pending.group_layers, chain));
                chain
            }
        };
        preflight.push((pending.method.clone(), chain));
    }
    preflight.into()
}

/// The group middleware that every endpoint of one path shares: the longest common prefix.
fn shared_layers<'m>(mut lists: impl Iterator<Item = &'m [Layer]>) -> Vec<&'m Layer> {
    let Some(first) = lists.next() else {
        return Vec::new();
    };
    let mut shared: Vec<&Layer> = first.iter().collect();
    for list in lists {
        let common = shared
            .iter()
            .zip(list)
            .take_while(|(a, b)| a.same_as(b))
            .count();
        shared.truncate(common);
    }
    shared
}

impl Mount {
    /// The full path of one of the mount's routes, in normal form.
    fn join(&self, path: &str) -> String {
        join(&self.prefix, path, self.keep_slash)
    }

    /// The full path of one of the mount's routes as the user wrote it.
    fn join_written(&self, path: &str) -> String {
        join(&self.written_prefix, path, self.keep_slash)
    }
}

/// Joins a mount prefix and a route path: `/api` + `/users` → `/api/users`;
/// `/api` + `/` → `/api` (`/api/` when `keep_slash`).
fn join(prefix: &str, path: &str, keep_slash: bool) -> String {
    let prefix = prefix.trim_end_matches('/');
    if prefix.is_empty() {
        path.to_owned()
    } else if path == "/" && !keep_slash {
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

/// The framework's own problems carry no `instance`: the path is in the
/// detail, and every built-in answer (400, 404, 405, 413, 415, 422, 500)
/// has the same members.
fn not_found(path: &str) -> Response {
    Problem::new(StatusCode::NOT_FOUND)
        .with_detail(format!("no route matches the path `{path}`"))
        .into_response()
}

pub(crate) fn method_not_allowed(method: &Method, path: &str, allow: &HeaderValue) -> Response {
    let mut response = Problem::new(StatusCode::METHOD_NOT_ALLOWED)
        .with_detail(format!(
            "the path `{path}` does not answer {method}; it answers {}",
            allow.to_str().unwrap_or_default()
        ))
        .into_response();
    response.headers_mut().insert(header::ALLOW, allow.clone());
    response
}

#[cfg(test)]
mod tests {
    use super::{join, ParamLayout};

    /// Each parameter as the layout finds it, checked against matchit's own
    /// match of the same path.
    fn params(pattern: &str, path: &str) -> Vec<String> {
        let mut router = matchit::Router::new();
        router.insert(pattern, ()).unwrap();
        let matched = router.at(path).unwrap();
        let layout = ParamLayout::of(pattern);
        let found: Vec<String> = (0..matched.params.len())
            .map(|index| layout.get(path, index).unwrap().to_owned())
            .collect();
        let expected: Vec<String> = matched.params.iter().map(|(_, v)| v.to_owned()).collect();
        assert_eq!(found, expected, "{pattern} on {path}");
        assert_eq!(layout.get(path, found.len()), None);
        found
    }

    #[test]
    fn param_layout_finds_what_matchit_matched() {
        assert_eq!(params("/users/{p0}", "/users/42"), ["42"]);
        assert_eq!(params("/users/{p0}/", "/users/42/"), ["42"]);
        assert_eq!(
            params("/a/{p0}/b/{p1}/c", "/a/x%2Fy/b/%20/c"),
            ["x%2Fy", "%20"]
        );
        assert_eq!(params("/{p0}/{p1}", "/one/two"), ["one", "two"]);
        assert_eq!(
            params("/files/{p0}/{*p1}", "/files/me/a/b/c.txt"),
            ["me", "a/b/c.txt"]
        );
        assert_eq!(params("/{*p0}", "/x/y/"), ["x/y/"]);
        assert_eq!(params("/odd{{name}}/{p0}", "/odd{name}/7"), ["7"]);
        // A parameter inside a segment (not something the macros write):
        // the layout declines, and the request falls back to matchit's match.
        assert!(!ParamLayout::of("/files/{p0}.json").whole_segments);
        assert!(!ParamLayout::of("/files/x{p0}").whole_segments);
        assert_eq!(params("/a/{p0}/b/{p1}/", "/a/1/b/22/"), ["1", "22"]);
        assert_eq!(params("/é/{p0}", "/é/x"), ["x"]);
        assert_eq!(
            ParamLayout::of("/files/{p0}.json").get("/files/a.json", 0),
            None
        );
        assert!(params("/static/path", "/static/path").is_empty());
    }

    #[test]
    fn join_handles_root_and_trailing_slashes() {
        assert_eq!(join("/", "/users", false), "/users");
        assert_eq!(join("", "/users", false), "/users");
        assert_eq!(join("/api", "/users", false), "/api/users");
        assert_eq!(join("/api/", "/users", false), "/api/users");
        assert_eq!(join("/api", "/", false), "/api");
        assert_eq!(join("/", "/", false), "/");
        assert_eq!(join("/static", "/", true), "/static/");
        assert_eq!(join("", "/", true), "/");
    }
}
