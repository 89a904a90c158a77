//! Route groups: a path prefix with its own middleware, routes and nested groups.

use crate::app::{validate_prefix, BuildError};
use crate::files::{serve_files_routes, StaticFiles};
use crate::middleware::{tower_layer, Layer, Middleware, TowerLayerBound};
use crate::route::Route;

/// A prefix with its own middleware chain, route tables and nested groups.
///
/// A group's middleware runs for every request that matches one of its
/// paths (a 405 for a method it lacks included) and for no other. When
/// routes of several groups share a path, a 405 runs the middleware they
/// share, and a CORS preflight runs the groups of the route whose method it
/// asks for. Prefixes
/// join without doubled or missing slashes, and a prefix's trailing slash is
/// ignored (`/api/` is `/api`): whether a path ends in `/` is the route's to say.
/// A group with prefix `/` only adds middleware.
///
/// ```
/// use waypost::{get, middleware, routes, App, Group, Next, Request, Response};
///
/// #[middleware]
/// async fn audit(req: Request, next: Next) -> Response { next.run(req).await }
///
/// #[get("/stats")]
/// async fn stats() -> &'static str { "{}" }
///
/// let app = App::new().group(
///     Group::new("/api").group(Group::new("/admin").wrap(audit).mount("/", routes![stats])),
/// );
/// assert_eq!(app.routes().unwrap()[0].path, "/api/admin/stats");
/// ```
#[derive(Clone)]
pub struct Group {
    prefix: String,
    layers: Vec<Layer>,
    mounts: Vec<(String, &'static [Route])>,
    files: Vec<(String, StaticFiles)>,
    groups: Vec<Group>,
}

/// A route table with its full prefix and the group middleware above it, outer first.
pub(crate) struct Mount {
    /// The prefix in the normal form requests are routed in (`/caf%C3%A9`).
    pub(crate) prefix: String,
    /// The same prefix as the user wrote it (`/café`): for reports and
    /// route listings, which name paths as they appear in the code.
    pub(crate) written_prefix: String,
    pub(crate) routes: &'static [Route],
    pub(crate) layers: Vec<Layer>,
    /// A route path `/` joins as `{prefix}/`, not `{prefix}` (a served
    /// directory's index).
    pub(crate) keep_slash: bool,
}

impl Group {
    /// A group under `prefix` (`"/"` for none).
    pub fn new(prefix: &str) -> Self {
        Group {
            prefix: prefix.to_owned(),
            layers: Vec::new(),
            mounts: Vec::new(),
            files: Vec::new(),
            groups: Vec::new(),
        }
    }

    /// Adds middleware that runs for this group's routes; the first `wrap` is
    /// outermost. A tuple of `#[middleware]` fns, `.wrap((a, b))`, runs like
    /// `.wrap(a).wrap(b)`, as one future composed at compile time.
    pub fn wrap<M: Middleware>(mut self, middleware: M) -> Self {
        self.layers.push(middleware.into_layer().0);
        self
    }

    /// Adds a `tower::Layer` (tower-http's, say) to the group's chain, in
    /// order with `wrap`: it wraps the rest of the chain for this group's routes.
    ///
    /// The layer makes one service per built app, shared by every route and
    /// method of the group (and its 405s): a layer that keeps state in its
    /// service (tower's `ConcurrencyLimitLayer`) limits the group as a whole.
    /// Each request carries where its chain goes on past the layer.
    ///
    /// ```
    /// use waypost::{get, routes, App, Group};
    /// #[get("/ping")]
    /// async fn ping() -> &'static str { "pong" }
    /// let group = Group::new("/api")
    ///     .layer(tower_http::cors::CorsLayer::permissive())
    ///     .mount("/", routes![ping]);
    /// # App::new().group(group).build().unwrap();
    /// ```
    pub fn layer<L>(mut self, layer: L) -> Self
    where
        L: TowerLayerBound,
    {
        self.layers.push(tower_layer(layer));
        self
    }

    /// Serves a `routes![]` table under `prefix` within the group.
    pub fn mount(mut self, prefix: &str, routes: &'static [Route]) -> Self {
        self.mounts.push((prefix.to_owned(), routes));
        self
    }

    /// Serves a directory under `prefix` within the group: `GET
    /// {prefix}/css/site.css` reads `{dir}/css/site.css`, with content
    /// types, `ETag`/`Last-Modified`, conditional and range requests (see
    /// [`StaticFiles`] for the options and what is refused). The group's
    /// middleware wraps the files as it wraps routes.
    ///
    /// ```
    /// use waypost::{App, Group};
    /// # let dir = std::env::temp_dir();
    /// let app = App::new().group(Group::new("/docs").files("/", dir));
    /// # app.build().unwrap();
    /// ```
    pub fn files(mut self, prefix: &str, files: impl Into<StaticFiles>) -> Self {
        self.files.push((prefix.to_owned(), files.into()));
        self
    }

    /// Nests a group: its prefix joins this one's, its middleware runs inside this one's.
    pub fn group(mut self, group: Group) -> Self {
        self.groups.push(group);
        self
    }

    /// Every route table under this group, with full prefixes and chains.
    pub(crate) fn flatten(&self) -> Result<Vec<Mount>, BuildError> {
        let mut mounts = Vec::new();
        self.flatten_into(("", ""), &[], &mut mounts)?;
        Ok(mounts)
    }

    /// `outer`: the enclosing prefix, normal and as written.
    fn flatten_into(
        &self,
        (outer_prefix, outer_written): (&str, &str),
        outer_layers: &[Layer],
        out: &mut Vec<Mount>,
    ) -> Result<(), BuildError> {
        validate_prefix(&self.prefix)?;
        let prefix = join_prefix(outer_prefix, &normal_prefix(&self.prefix));
        let written = join_prefix(outer_written, &self.prefix);
        let layers: Vec<Layer> = outer_layers.iter().chain(&self.layers).cloned().collect();
        for (mount_prefix, routes) in &self.mounts {
            validate_prefix(mount_prefix)?;
            out.push(Mount {
                prefix: join_prefix(&prefix, &normal_prefix(mount_prefix)),
                written_prefix: join_prefix(&written, mount_prefix),
                routes,
                layers: layers.clone(),
                keep_slash: false,
            });
        }
        for (files_prefix, files) in &self.files {
            validate_prefix(files_prefix)?;
            let full = join_prefix(&prefix, &normal_prefix(files_prefix));
            let full_written = join_prefix(&written, files_prefix);
            let config = files.resolve().map_err(|reason| BuildError::InvalidFiles {
                prefix: if full_written.is_empty() {
                    "/".to_owned()
                } else {
                    full_written.clone()
                },
                reason,
            })?;
            let mut files_layers = layers.clone();
            files_layers.push(config.into_layer().0);
            for (routes, keep_slash) in serve_files_routes(&full) {
                out.push(Mount {
                    prefix: full.clone(),
                    written_prefix: full_written.clone(),
                    routes,
                    layers: files_layers.clone(),
                    keep_slash,
                });
            }
        }
        for group in &self.groups {
            group.flatten_into((&prefix, &written), &layers, out)?;
        }
        Ok(())
    }
}

/// A prefix in the normal form request paths are routed in (see `path.rs`):
/// `/café` is served at `/caf%C3%A9`, as clients send it.
pub(crate) fn normal_prefix(prefix: &str) -> std::borrow::Cow<'_, str> {
    match crate::path::normalize(prefix) {
        Some(normal) => normal.into(),
        None => prefix.into(),
    }
}

/// Joins two prefixes into one without a trailing slash: `/api/` + `/v1/` → `/api/v1`; `/` + `/` → ``.
pub(crate) fn join_prefix(outer: &str, inner: &str) -> String {
    let outer = outer.trim_end_matches('/');
    let inner = inner.trim_matches('/');
    if inner.is_empty() {
        outer.to_owned()
    } else {
        format!("{outer}/{inner}")
    }
}

#[cfg(test)]
mod tests {
    use super::join_prefix;

    #[test]
    fn prefixes_join_without_doubled_or_trailing_slashes() {
        assert_eq!(join_prefix("", "/"), "");
        assert_eq!(join_prefix("", "/api"), "/api");
        assert_eq!(join_prefix("", "/api/"), "/api");
        assert_eq!(join_prefix("/api", "/"), "/api");
        assert_eq!(join_prefix("/api", "/v1/"), "/api/v1");
        assert_eq!(join_prefix("/api/", "v1"), "/api/v1");
    }
}
