//! The application builder: route tables, state and limits, checked and assembled once.

use std::any::{Any, TypeId};
use std::sync::Arc;

use http::Method;

use crate::extract::StateNeeds;
use crate::group::{Group, Mount};
use crate::health::{
    ReadinessCheck, RegisteredCheck, DEFAULT_CHECK_TIMEOUT, DEFAULT_LIVENESS_PATH,
    DEFAULT_READINESS_PATH, LIVENESS_ROUTE, READINESS_ROUTE,
};
use crate::middleware::{
    tower_layer, Chain, ChainEnd, Chains, Layer, Middleware, Provided, TowerLayerBound,
};
use crate::route::Route;
use crate::router::{RouteInfo, Router};
use crate::service::AppService;

/// The default limit on request bodies: 2 MiB.
pub const DEFAULT_BODY_LIMIT: usize = 2 * 1024 * 1024;

/// A waypost application: route tables mounted under prefixes, shared state, limits.
///
/// ```no_run
/// use waypost::{get, routes, App};
///
/// #[get("/")]
/// async fn index() -> &'static str { "hello" }
///
/// #[tokio::main]
/// async fn main() -> Result<(), waypost::ServeError> {
///     App::new().mount("/", routes![index]).serve("127.0.0.1:8080").await
/// }
/// ```
pub struct App {
    root: Group,
    layers: Vec<Layer>,
    states: Vec<StateEntry>,
    body_limit: usize,
    recover: bool,
    redirect_trailing_slash: bool,
    liveness_path: Option<String>,
    readiness_path: Option<String>,
    readiness_checks: Vec<RegisteredCheck>,
}

struct StateEntry {
    id: TypeId,
    value: Box<dyn Any + Send + Sync>,
}

/// The chain of the app scope: it runs for every request, before routing.
pub(crate) const APP_CHAIN: u32 = 0;

/// What every request of a built app shares: router, chains, state, limits.
#[doc(hidden)]
pub struct AppShared {
    pub(crate) router: Router,
    chains: Vec<Chain>,
    states: Vec<StateEntry>,
    pub(crate) body_limit: usize,
    pub(crate) recover: bool,
    /// Set when a graceful shutdown begins: readiness answers 503 from then on.
    pub(crate) draining: std::sync::atomic::AtomicBool,
    pub(crate) readiness_checks: Vec<RegisteredCheck>,
}

impl AppShared {
    pub(crate) fn state<T: 'static>(&self) -> Option<&T> {
        let id = TypeId::of::<T>();
        // A handful of entries at most: a linear scan beats hashing.
        self.states
            .iter()
            .find(|entry| entry.id == id)
            .and_then(|entry| entry.value.downcast_ref())
    }

    pub(crate) fn chain(&self, index: u32) -> &Chain {
        &self.chains[index as usize]
    }

    /// Whether a request goes straight to the router (no app-scope middleware).
    pub(crate) fn routes_directly(&self) -> bool {
        self.chains[APP_CHAIN as usize].layers.is_empty()
    }
}

/// The app as one connection holds it.
///
/// Requests carry a clone of it (their extractors need the state, their
/// middleware the chains). The outer `Arc` is per connection, so that clone
/// writes a counter only that connection touches, never one shared by every
/// core; only a new connection writes the shared inner counter.
#[derive(Clone)]
#[allow(clippy::redundant_allocation)] // the point: a counter per connection
pub(crate) struct AppHandle(Arc<Arc<AppShared>>);

impl AppHandle {
    pub(crate) fn new(shared: Arc<AppShared>) -> Self {
        AppHandle(Arc::new(shared))
    }

    /// A handle with a counter of its own, for a new connection.
    pub(crate) fn for_connection(&self) -> Self {
        AppHandle::new(Arc::clone(&self.0))
    }
}

impl std::ops::Deref for AppHandle {
    type Target = AppShared;
    fn deref(&self) -> &AppShared {
        &self.0
    }
}

impl Default for App {
    fn default() -> Self {
        Self::new()
    }
}

impl App {
    /// An app with no routes, no state and the default limits; panics in
    /// handlers and middleware answer 500 (see [`App::recover`]).
    pub fn new() -> Self {
        App {
            root: Group::new("/"),
            layers: Vec::new(),
            states: Vec::new(),
            body_limit: DEFAULT_BODY_LIMIT,
            recover: true,
            redirect_trailing_slash: false,
            liveness_path: Some(DEFAULT_LIVENESS_PATH.to_owned()),
            readiness_path: Some(DEFAULT_READINESS_PATH.to_owned()),
            readiness_checks: Vec::new(),
        }
    }

    /// Serves the routes of a `routes![]` table under `prefix` (`"/"` for none).
    ///
    /// Routes that collide across tables are reported by [`App::build`].
    pub fn mount(mut self, prefix: &str, routes: &'static [Route]) -> Self {
        self.root = self.root.mount(prefix, routes);
        self
    }

    /// Serves a directory under `prefix`: `App::files("/static", "assets")`
    /// answers `GET /static/css/site.css` from `assets/css/site.css`, with
    /// content types, `ETag`/`Last-Modified`, conditional and range requests
    /// and HEAD. Pass a [`StaticFiles`](crate::files::StaticFiles) for
    /// precompressed files, caching headers and the symlink policy;
    /// [`App::build`] fails if the directory does not exist.
    ///
    /// ```
    /// use waypost::{App, TestClient};
    ///
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let dir = std::env::temp_dir().join("waypost-doc-files");
    /// std::fs::create_dir_all(&dir).unwrap();
    /// std::fs::write(dir.join("hello.txt"), "hello").unwrap();
    /// let client = TestClient::new(App::new().files("/static", &dir));
    /// let response = client.get("/static/hello.txt").send().await;
    /// assert_eq!(response.text(), "hello");
    /// assert_eq!(response.content_type(), Some("text/plain; charset=utf-8"));
    /// assert_eq!(client.get("/static/../secret").send().await.status(), 400);
    /// # });
    /// ```
    pub fn files(mut self, prefix: &str, files: impl Into<crate::files::StaticFiles>) -> Self {
        self.root = self.root.files(prefix, files);
        self
    }

    /// Adds a group: a prefix with its own middleware and routes.
    pub fn group(mut self, group: Group) -> Self {
        self.root = self.root.group(group);
        self
    }

    /// Adds middleware to the app scope: it runs for every request, before
    /// routing, so 404s and 405s pass through it too. The first `wrap` is outermost.
    ///
    /// A tuple of `#[middleware]` fns, `.wrap((a, b))`, runs like
    /// `.wrap(a).wrap(b)`, composed into one future at compile time (see
    /// [`Compose`](crate::middleware::Compose)).
    pub fn wrap<M: Middleware>(mut self, middleware: M) -> Self {
        self.layers.push(middleware.into_layer().0);
        self
    }

    /// Adds a `tower::Layer` (tower-http's, say) to the app scope, in order
    /// with `wrap`: it wraps routing and everything after it.
    ///
    /// A layer's error is answered with problem+json: 503 for the errors of
    /// tower's `timeout` and `load_shed` layers (the server cannot take the
    /// request now), 500 for any other, its cause logged, not sent.
    pub fn layer<L: TowerLayerBound>(mut self, layer: L) -> Self {
        self.layers.push(tower_layer(layer));
        self
    }

    /// Sets the state of type `T` that handlers take as `State<T>`; replaces an earlier value of that type.
    pub fn state<T: Send + Sync + 'static>(mut self, value: T) -> Self {
        let id = TypeId::of::<T>();
        self.states.retain(|entry| entry.id != id);
        self.states.push(StateEntry {
            id,
            value: Box::new(value),
        });
        self
    }

    /// Sets the largest request body, in bytes, that body extractors accept (413 beyond).
    pub fn body_limit(mut self, bytes: usize) -> Self {
        self.body_limit = bytes;
        self
    }

    /// Whether a panic in a handler or middleware answers 500 problem+json
    /// (logged with the method, path and route) instead of dropping the
    /// connection. On by default.
    pub fn recover(mut self, enabled: bool) -> Self {
        self.recover = enabled;
        self
    }

    /// Whether a request for `/x/` that matches no route, while `/x` does,
    /// is redirected there with 308 (query kept). Off by default: paths are
    /// strict, and `/x/` and `/x` are different paths.
    pub fn redirect_trailing_slash(mut self, enabled: bool) -> Self {
        self.redirect_trailing_slash = enabled;
        self
    }

    /// Where liveness is answered (default `/healthz`; `None` turns it off):
    /// 200 `{"status":"live"}` while the process serves.
    ///
    /// ```
    /// use waypost::App;
    /// let app = App::new().liveness_path("/livez").readiness_path(None);
    /// let paths: Vec<String> = app.routes().unwrap().into_iter().map(|r| r.path).collect();
    /// assert_eq!(paths, ["/livez"]);
    /// ```
    pub fn liveness_path<'a>(mut self, path: impl Into<Option<&'a str>>) -> Self {
        self.liveness_path = path.into().map(str::to_owned);
        self
    }

    /// Where readiness is answered (default `/readyz`; `None` turns it off):
    /// 200 when every [readiness check](App::readiness_check) passes, 503
    /// problem+json naming those that failed, and 503 as soon as a graceful
    /// shutdown begins. The body lists each check with its outcome and duration.
    pub fn readiness_path<'a>(mut self, path: impl Into<Option<&'a str>>) -> Self {
        self.readiness_path = path.into().map(str::to_owned);
        self
    }

    /// Adds a check that readiness runs, under `name`, with the default
    /// timeout ([`DEFAULT_CHECK_TIMEOUT`](crate::DEFAULT_CHECK_TIMEOUT)).
    ///
    /// A check is an async closure or function taking extractors that read
    /// only the head (`State<T>`, headers...), like a handler, and returning
    /// `()`, `bool` or `Result<T, E: Display>`. Checks run concurrently, each
    /// as its own task: one that panics or overruns fails alone. The state a
    /// check takes is checked by [`App::build`].
    ///
    /// ```
    /// use waypost::{App, State};
    /// use std::sync::Arc;
    /// use std::sync::atomic::{AtomicBool, Ordering};
    ///
    /// #[derive(Clone, Default)]
    /// struct Cache { warm: Arc<AtomicBool> }
    ///
    /// let app = App::new()
    ///     .state(Cache::default())
    ///     .readiness_check("cache", |State(cache): State<Cache>| async move {
    ///         cache.warm.load(Ordering::Relaxed)
    ///     });
    /// assert!(app.build().is_ok());
    /// ```
    #[track_caller]
    pub fn readiness_check<C, Args>(self, name: &'static str, check: C) -> Self
    where
        C: ReadinessCheck<Args>,
        Args: Send + Sync + 'static,
    {
        self.readiness_check_with_timeout(name, DEFAULT_CHECK_TIMEOUT, check)
    }

    /// [`App::readiness_check`] with a timeout of its own: past it, the check
    /// is dropped and reported as timed out.
    #[track_caller]
    pub fn readiness_check_with_timeout<C, Args>(
        mut self,
        name: &'static str,
        timeout: std::time::Duration,
        check: C,
    ) -> Self
    where
        C: ReadinessCheck<Args>,
        Args: Send + Sync + 'static,
    {
        let caller = std::panic::Location::caller();
        let location = format!("{}:{}", caller.file(), caller.line());
        self.readiness_checks
            .push(RegisteredCheck::new(name, timeout, location, check));
        self
    }

    /// The route table: one entry per method and path, prefixes applied.
    ///
    /// Fails like [`App::build`] if the table does not hold together.
    pub fn routes(&self) -> Result<Vec<RouteInfo>, BuildError> {
        self.assemble().map(|(router, _)| router.table().to_vec())
    }

    /// Checks and assembles the app: prefixes, route conflicts across tables,
    /// state that handlers need, extensions that middleware must provide.
    /// Nothing is served until this succeeds. [`App::routes`] runs the same
    /// checks without consuming the app.
    pub fn build(self) -> Result<AppService, BuildError> {
        let (router, chains) = self.assemble()?;
        let shared = AppShared {
            draining: std::sync::atomic::AtomicBool::new(false),
            router,
            chains,
            states: self.states,
            body_limit: self.body_limit,
            recover: self.recover,
            readiness_checks: self.readiness_checks,
        };
        Ok(AppService::new(AppHandle::new(Arc::new(shared))))
    }

    /// Everything `build` checks and composes, short of moving the state in.
    fn assemble(&self) -> Result<(Router, Vec<Chain>), BuildError> {
        let mut mounts = self.root.flatten()?;
        mounts.extend(self.probe_mounts()?);
        self.check_readiness_needs()?;
        let all_layers = self
            .layers
            .iter()
            .chain(mounts.iter().flat_map(|mount| &mount.layers));
        for layer in all_layers {
            if let Some((name, reason)) = layer.invalid() {
                return Err(BuildError::InvalidMiddleware {
                    name,
                    reason: reason.to_owned(),
                });
            }
        }
        let app_layers: Vec<&Layer> = self.layers.iter().collect();
        let mut chains = Chains::default();
        chains.push(&app_layers, ChainEnd::Router);
        let router = Router::build(&mounts, &mut chains, self.redirect_trailing_slash)?;
        let chains = chains.chains;
        let app_layers = &chains[APP_CHAIN as usize].layers;
        for endpoint in router.endpoints() {
            let route = endpoint.route;
            let chain = endpoint
                .chain
                .map(|index| &chains[index as usize].layers[..])
                .unwrap_or_default();
            let mut provided = Provided::default();
            let mut parts = Vec::new();
            for middleware in app_layers.iter().chain(chain) {
                // A tuple of middleware is checked one by one: one may need what an earlier one provides.
                if !middleware.composed_of(&mut parts) {
                    parts.push(&**middleware);
                }
            }
            for middleware in parts {
                let mut needs = StateNeeds::default();
                middleware.required(&mut needs);
                check_needs(
                    &needs,
                    &provided,
                    &self.states,
                    route,
                    Some(middleware.name()),
                )?;
                middleware.provides(&mut provided);
            }
            let mut needs = StateNeeds::default();
            (route.required)(&mut needs);
            check_needs(&needs, &provided, &self.states, route, None)?;
        }
        Ok((router, chains))
    }
}

impl App {
    /// The probes' routes, under their paths, with no group middleware.
    fn probe_mounts(&self) -> Result<Vec<Mount>, BuildError> {
        let probes = [
            (&self.liveness_path, &LIVENESS_ROUTE),
            (&self.readiness_path, &READINESS_ROUTE),
        ];
        let mut mounts = Vec::new();
        for (path, routes) in probes {
            if let Some(path) = path {
                validate_prefix(path)?;
                mounts.push(Mount {
                    prefix: crate::group::normal_prefix(path).into_owned(),
                    written_prefix: path.clone(),
                    routes,
                    layers: Vec::new(),
                    keep_slash: false,
                });
            }
        }
        Ok(mounts)
    }

    /// Refuses a readiness check that takes state the app does not have.
    fn check_readiness_needs(&self) -> Result<(), BuildError> {
        for check in &self.readiness_checks {
            let mut needs = StateNeeds::default();
            (check.required)(&mut needs);
            if let Some(key) = needs
                .states
                .iter()
                .find(|key| !self.states.iter().any(|entry| entry.id == key.id))
            {
                return Err(BuildError::MissingState {
                    handler: format!("readiness check \"{}\"", check.name),
                    middleware: None,
                    location: check.location.clone(),
                    type_name: key.name,
                });
            }
        }
        Ok(())
    }
}

/// Refuses needs that neither the app's state nor the chain so far provides.
fn check_needs(
    needs: &StateNeeds,
    provided: &Provided,
    states: &[StateEntry],
    route: &Route,
    middleware: Option<&'static str>,
) -> Result<(), BuildError> {
    let handler = format!("{}::{}", route.module_path(), route.handler_name());
    if let Some(key) = needs
        .states
        .iter()
        .find(|key| !states.iter().any(|entry| entry.id == key.id))
    {
        return Err(BuildError::MissingState {
            handler,
            middleware,
            location: route.location(),
            type_name: key.name,
        });
    }
    if let Some(key) = needs
        .extensions
        .iter()
        .find(|key| !provided.contains(key.id))
    {
        return Err(BuildError::MissingExtension {
            handler,
            middleware,
            location: route.location(),
            type_name: key.name,
        });
    }
    Ok(())
}

/// The rules of a route path's literal segments (checked by the macros at
/// compile time), for a prefix given at run time.
pub(crate) fn validate_prefix(prefix: &str) -> Result<(), BuildError> {
    let segments = || prefix.split('/').skip(1);
    let reason = if !prefix.starts_with('/') {
        "a mount prefix must start with `/`"
    } else if prefix.contains(['<', '>', '{', '}'])
        || segments().any(|segment| segment.starts_with([':', '*']))
    {
        "a mount prefix is static: it cannot hold parameters (`<id>`, or another framework's `{id}`, `:id`, `*rest`)"
    } else if prefix.contains(['?', '#']) {
        "a mount prefix cannot hold a query or fragment"
    } else if prefix.contains(char::is_control) {
        "a mount prefix cannot hold control characters: percent-encode them (`%0A`)"
    } else if prefix.contains(char::is_whitespace) {
        "a mount prefix cannot hold whitespace: percent-encode it (`%20`)"
    } else if prefix.contains("//") {
        "a mount prefix cannot have an empty segment (`//`)"
    } else if segments().any(|segment| {
        let decoded = percent_encoding::percent_decode_str(segment).decode_utf8_lossy();
        decoded == "." || decoded == ".."
    }) {
        "a mount prefix cannot have a `.` or `..` segment: clients remove them before sending"
    } else if !well_escaped(prefix) {
        "`%` starts a percent-encoded byte, two hex digits like `%20`; write `%25` for a literal `%`"
    } else {
        return Ok(());
    };
    Err(BuildError::InvalidPrefix {
        prefix: prefix.to_owned(),
        reason,
    })
}

/// Whether every `%` in `text` starts two hex digits.
fn well_escaped(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.iter().enumerate().all(|(at, &byte)| {
        byte != b'%'
            || bytes
                .get(at + 1..at + 3)
                .is_some_and(|digits| digits.iter().all(u8::is_ascii_hexdigit))
    })
}

/// Why an app could not be built. Reported before anything is served.
///
/// Its `Debug` is its message, so that `fn main() -> Result<(), BuildError>`
/// (or `ServeError`) prints what to fix rather than a struct dump.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum BuildError {
    /// Two routes, from different `routes![]` tables, answer the same method on the same path shape.
    Conflict {
        /// The method both answer.
        method: Method,
        /// The first route's full path.
        first_path: String,
        /// The first handler and its location.
        first: String,
        /// The second route's full path.
        second_path: String,
        /// The second handler and its location.
        second: String,
    },
    /// Two routes put a parameter and a catch-all at the same place in their
    /// paths after the same segments (`/files/<name>` and `/files/<rest..>`),
    /// which the router cannot hold, whatever their methods.
    ParameterBesideCatchAll {
        /// The first route's full path.
        first_path: String,
        /// The first handler and its location.
        first: String,
        /// The second route's full path.
        second_path: String,
        /// The second handler and its location.
        second: String,
    },
    /// A handler or middleware takes `State<T>` but no `App::state` of that type was set.
    MissingState {
        /// The handler.
        handler: String,
        /// The middleware on the handler's chain that needs it, if it is not the handler.
        middleware: Option<&'static str>,
        /// Where it is declared.
        location: String,
        /// The missing type.
        type_name: &'static str,
    },
    /// A handler or middleware takes `Extension<T>` but no middleware before
    /// it on its chain declares `provides = T`.
    MissingExtension {
        /// The handler.
        handler: String,
        /// The middleware on the handler's chain that takes it, if it is not the handler.
        middleware: Option<&'static str>,
        /// Where the handler is declared.
        location: String,
        /// The missing type.
        type_name: &'static str,
    },
    /// A middleware's configuration cannot work (CORS credentials with any origin, say).
    InvalidMiddleware {
        /// The middleware.
        name: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// A mount or group prefix is not a valid static path.
    InvalidPrefix {
        /// The prefix as given.
        prefix: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A directory given to `files` cannot be served.
    InvalidFiles {
        /// Where it was to be served.
        prefix: String,
        /// What is wrong (the directory and the error).
        reason: String,
    },
    /// The router refused a path.
    InvalidPath {
        /// The full path.
        path: String,
        /// The handler and its location.
        handler: String,
        /// What the router said.
        reason: String,
    },
}

impl std::fmt::Debug for BuildError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self, f)
    }
}

impl std::fmt::Display for BuildError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BuildError::Conflict {
                method,
                first_path,
                first,
                second_path,
                second,
            } => {
                write!(
                    f,
                    "route conflict: `{method} {second_path}` (handler {second}) matches the same requests as \
                     `{method} {first_path}` (handler {first})"
                )?;
                if first_path != second_path {
                    write!(f, " (parameter names and percent-encoding do not tell paths apart)")?;
                }
                write!(f, ": change a path or a method, or remove one of the handlers")
            }
            BuildError::ParameterBesideCatchAll {
                first_path,
                first,
                second_path,
                second,
            } => write!(
                f,
                "route conflict: `{second_path}` (handler {second}) and `{first_path}` (handler {first}) put a \
                 parameter and a catch-all at the same place in the path: the router cannot hold both there, \
                 whatever the methods; put a literal segment before one of them, or serve both paths from one handler"
            ),
            BuildError::MissingState {
                handler,
                middleware,
                location,
                type_name,
            } => write!(
                f,
                "{} ({location}) takes `State<{type_name}>`, but the app has no state of that type; \
                 add `.state(value)` with a `{type_name}` to the App",
                taker(handler, *middleware)
            ),
            BuildError::MissingExtension {
                handler,
                middleware,
                location,
                type_name,
            } => write!(
                f,
                "{} ({location}) takes `Extension<{type_name}>`, but no middleware before it on the handler's chain \
                 provides it; wrap the route, its group or the app in a middleware declared with `#[middleware(provides = {type_name})]`",
                taker(handler, *middleware)
            ),
            BuildError::InvalidMiddleware { name, reason } => {
                write!(f, "middleware `{name}` cannot be used: {reason}")
            }
            BuildError::InvalidPrefix { prefix, reason } => {
                write!(f, "invalid mount prefix `{prefix}`: {reason}")
            }
            BuildError::InvalidFiles { prefix, reason } => {
                write!(f, "the files served at `{prefix}` cannot be served: {reason}")
            }
            BuildError::InvalidPath {
                path,
                handler,
                reason,
            } => write!(f, "route `{path}` of {handler} was refused by the router: {reason}"),
        }
    }
}

impl std::error::Error for BuildError {}

fn taker(handler: &str, middleware: Option<&str>) -> String {
    match middleware {
        Some(middleware) => format!("middleware `{middleware}` on handler `{handler}`"),
        None => format!("handler `{handler}`"),
    }
}
