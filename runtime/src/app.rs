//! The application builder: route tables, state and limits, checked and assembled once.

use std::any::{Any, TypeId};
use std::sync::Arc;

use http::Method;

use crate::extract::StateNeeds;
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
    mounts: Vec<Mount>,
    states: Vec<StateEntry>,
    body_limit: usize,
}

pub(crate) struct Mount {
    pub(crate) prefix: String,
    pub(crate) routes: &'static [Route],
}

struct StateEntry {
    id: TypeId,
    value: Box<dyn Any + Send + Sync>,
}

/// What every request of a built app shares: router, state, limits.
#[doc(hidden)]
pub struct AppShared {
    pub(crate) router: Router,
    states: Vec<StateEntry>,
    pub(crate) body_limit: usize,
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
}

impl Default for App {
    fn default() -> Self {
        Self::new()
    }
}

impl App {
    /// An app with no routes, no state and the default limits.
    pub fn new() -> Self {
        App {
            mounts: Vec::new(),
            states: Vec::new(),
            body_limit: DEFAULT_BODY_LIMIT,
        }
    }

    /// Serves the routes of a `routes![]` table under `prefix` (`"/"` for none).
    ///
    /// Routes that collide across tables are reported by [`App::build`].
    pub fn mount(mut self, prefix: &str, routes: &'static [Route]) -> Self {
        self.mounts.push(Mount {
            prefix: prefix.to_owned(),
            routes,
        });
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

    /// The route table: one entry per method and path, prefixes applied.
    ///
    /// Fails like [`App::build`] if the table does not hold together.
    pub fn routes(&self) -> Result<Vec<RouteInfo>, BuildError> {
        Router::build(&self.mounts).map(|router| router.table().to_vec())
    }

    /// Checks and assembles the app: prefixes, route conflicts across tables,
    /// state that handlers need. Nothing is served until this succeeds.
    pub fn build(self) -> Result<AppService, BuildError> {
        for mount in &self.mounts {
            validate_prefix(&mount.prefix)?;
        }
        let router = Router::build(&self.mounts)?;
        for route in router.routes() {
            let mut needs = StateNeeds::default();
            (route.def().required_state)(&mut needs);
            for key in needs.0 {
                if !self.states.iter().any(|entry| entry.id == key.id) {
                    return Err(BuildError::MissingState {
                        handler: format!("{}::{}", route.module_path(), route.handler_name()),
                        location: route.location(),
                        type_name: key.name,
                    });
                }
            }
        }
        Ok(AppService::new(Arc::new(AppShared {
            router,
            states: self.states,
            body_limit: self.body_limit,
        })))
    }
}

fn validate_prefix(prefix: &str) -> Result<(), BuildError> {
    let reason = if !prefix.starts_with('/') {
        "a mount prefix must start with `/`"
    } else if prefix.contains(['<', '>', '{', '}', '*']) {
        "a mount prefix is static: it cannot hold parameters"
    } else if prefix.contains("//") {
        "a mount prefix cannot have an empty segment (`//`)"
    } else {
        return Ok(());
    };
    Err(BuildError::InvalidPrefix {
        prefix: prefix.to_owned(),
        reason,
    })
}

/// Why an app could not be built. Reported before anything is served.
#[derive(Debug, Clone, PartialEq, Eq)]
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
    /// A handler takes `State<T>` but no `App::state` of that type was set.
    MissingState {
        /// The handler.
        handler: String,
        /// Where it is declared.
        location: String,
        /// The missing type.
        type_name: &'static str,
    },
    /// A mount prefix is not a valid static path.
    InvalidPrefix {
        /// The prefix as given.
        prefix: String,
        /// What is wrong with it.
        reason: &'static str,
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

impl std::fmt::Display for BuildError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BuildError::Conflict {
                method,
                first_path,
                first,
                second_path,
                second,
            } => write!(
                f,
                "conflicting routes: {method} {second_path} by {second} collides with {method} {first_path} by {first}; \
                 paths that differ only in parameter names match the same requests"
            ),
            BuildError::MissingState {
                handler,
                location,
                type_name,
            } => write!(
                f,
                "handler `{handler}` ({location}) takes `State<{type_name}>`, but the app has no state of that type; \
                 add `.state(value)` with a `{type_name}` to the App"
            ),
            BuildError::InvalidPrefix { prefix, reason } => {
                write!(f, "invalid mount prefix `{prefix}`: {reason}")
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
