//! Cookies on the `cookie` crate: a jar read from the request, changed by the
//! handler and returned with the response; signed and private (encrypted)
//! jars keyed from the app's state.

use std::convert::Infallible;

use cookie::{CookieJar as Jar, SameSite};
use http::header::{COOKIE, SET_COOKIE};
use http::{HeaderMap, HeaderValue};

use crate::extract::{FromRequestParts, StateNeeds};
use crate::request::RequestParts;
use crate::response::{IntoResponseHeaders, InvalidHeader};

pub use cookie::{Cookie, Key as CookieKey};

/// The request's cookies, and the cookies the response sets or removes.
///
/// As an argument it holds the request's `Cookie` headers; returned beside a
/// body (`(jar, body)`) it writes one `Set-Cookie` header per cookie added
/// or removed since. A cookie added without these attributes gets
/// `HttpOnly`, `SameSite=Lax` and `Path=/`, and `Secure` when the request
/// came over this server's TLS; set them on the cookie to choose otherwise.
/// Names and values are percent-encoded on the way out and decoded on the
/// way in; a `Cookie` header that does not parse is skipped, never an error.
///
/// ```
/// use waypost::{get, routes, App, Cookie, CookieJar, TestClient};
///
/// #[get("/visit")]
/// async fn visit(jar: CookieJar) -> (CookieJar, String) {
///     let visits: u32 = jar.get("visits").and_then(|c| c.value().parse().ok()).unwrap_or(0);
///     let jar = jar.add(Cookie::new("visits", (visits + 1).to_string()));
///     (jar, format!("visit {}", visits + 1))
/// }
///
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let client = TestClient::new(App::new().mount("/", routes![visit]));
/// let response = client.get("/visit").header("cookie", "visits=4").send().await;
/// assert_eq!(response.text(), "visit 5");
/// assert_eq!(response.header("set-cookie"), Some("visits=5; HttpOnly; SameSite=Lax; Path=/"));
/// # });
/// ```
#[derive(Debug, Clone, Default)]
pub struct CookieJar {
    jar: Jar,
    tls: bool,
}

impl CookieJar {
    /// An empty jar, for a response that sets cookies without reading any.
    pub fn new() -> Self {
        CookieJar::default()
    }

    /// The cookie called `name`, from the request or added since.
    pub fn get(&self, name: &str) -> Option<&Cookie<'static>> {
        self.jar.get(name)
    }

    /// Adds (or replaces) a cookie, with the defaults above for what it leaves unset.
    // A jar is not a number: `add` reads as the cookie crate's and other frameworks' jars do.
    #[allow(clippy::should_implement_trait)]
    #[must_use = "the jar sets the cookie when returned with the response"]
    pub fn add(mut self, cookie: impl Into<Cookie<'static>>) -> Self {
        self.jar.add(with_defaults(cookie.into(), self.tls));
        self
    }

    /// Removes a cookie: the response tells the client to delete it. The
    /// path (and domain) must be those it was set with; `/` when unset.
    #[must_use = "the jar removes the cookie when returned with the response"]
    pub fn remove(mut self, cookie: impl Into<Cookie<'static>>) -> Self {
        remove_from(&mut self.jar, cookie.into());
        self
    }

    /// Every cookie, from the request and added since (not those removed).
    pub fn iter(&self) -> impl Iterator<Item = &Cookie<'static>> {
        self.jar.iter()
    }

    /// The cookies signed with `key`: a cookie whose signature does not match
    /// reads as absent.
    pub fn signed<'a>(&'a self, key: &'a CookieKey) -> cookie::SignedJar<&'a Jar> {
        self.jar.signed(key)
    }

    /// The cookies encrypted with `key`: one that does not decrypt reads as absent.
    pub fn private<'a>(&'a self, key: &'a CookieKey) -> cookie::PrivateJar<&'a Jar> {
        self.jar.private(key)
    }

    fn from_parts(parts: &RequestParts) -> Self {
        let mut jar = Jar::new();
        for header in parts.head().headers.get_all(COOKIE) {
            let Ok(text) = header.to_str() else { continue };
            for cookie in Cookie::split_parse_encoded(text.to_owned()).flatten() {
                jar.add_original(cookie);
            }
        }
        CookieJar {
            jar,
            tls: parts.is_tls(),
        }
    }
}

/// `HttpOnly`, `SameSite=Lax`, `Path=/` and, over TLS, `Secure`, where the cookie leaves them unset.
fn with_defaults(mut cookie: Cookie<'static>, tls: bool) -> Cookie<'static> {
    if cookie.http_only().is_none() {
        cookie.set_http_only(true);
    }
    if cookie.same_site().is_none() {
        cookie.set_same_site(SameSite::Lax);
    }
    if cookie.path().is_none() {
        cookie.set_path("/");
    }
    if cookie.secure().is_none() && tls {
        cookie.set_secure(true);
    }
    cookie
}

fn removal(mut cookie: Cookie<'static>) -> Cookie<'static> {
    if cookie.path().is_none() {
        cookie.set_path("/");
    }
    // Browsers refuse a `Set-Cookie` for these names without `Secure`, the removal included.
    if cookie.name().starts_with("__Secure-") || cookie.name().starts_with("__Host-") {
        cookie.set_secure(true);
    }
    cookie
}

/// Removes `cookie` from `jar` so that the response deletes it, whether or
/// not the request carried it (the `cookie` crate writes a removal only for
/// a cookie it saw in the request).
fn remove_from(jar: &mut Jar, cookie: Cookie<'static>) {
    let cookie = removal(cookie);
    jar.add_original(cookie.clone());
    jar.remove(cookie);
}

impl FromRequestParts for CookieJar {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut RequestParts) -> Result<Self, Infallible> {
        Ok(CookieJar::from_parts(parts))
    }
}

impl IntoResponseHeaders for CookieJar {
    fn extend_headers(self, headers: &mut HeaderMap) -> Result<(), InvalidHeader> {
        append_delta(&self.jar, headers)
    }
}

fn append_delta(jar: &Jar, headers: &mut HeaderMap) -> Result<(), InvalidHeader> {
    for cookie in jar.delta() {
        let value = HeaderValue::try_from(cookie.encoded().to_string())
            .map_err(|_| InvalidHeader(format!("cookie `{}`", cookie.name())))?;
        headers.append(SET_COOKIE, value);
    }
    Ok(())
}

/// Cookies signed with the app's [`CookieKey`] (its state): readable by the
/// client, but one it changed, one moved to another name, or one signed with
/// another key, reads as absent. Otherwise a [`CookieJar`]: the same defaults, the same `(jar, body)`.
///
/// ```
/// use waypost::{get, routes, App, Cookie, CookieKey, SignedCookieJar, TestClient};
///
/// #[get("/login")]
/// async fn login(jar: SignedCookieJar) -> (SignedCookieJar, &'static str) {
///     (jar.add(Cookie::new("user", "ada")), "welcome")
/// }
///
/// #[get("/me")]
/// async fn me(jar: SignedCookieJar) -> String {
///     jar.get("user").map(|c| c.value().to_owned()).unwrap_or_else(|| "nobody".into())
/// }
///
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let app = App::new().state(CookieKey::generate()).mount("/", routes![login, me]);
/// let client = TestClient::new(app);
/// let set = client.get("/login").send().await.header("set-cookie").unwrap().to_owned();
/// let cookie = set.split(';').next().unwrap().to_owned();
/// assert_eq!(client.get("/me").header("cookie", &cookie).send().await.text(), "ada");
/// let forged = cookie.replace("ada", "eve");
/// assert_eq!(client.get("/me").header("cookie", &forged).send().await.text(), "nobody");
/// # });
/// ```
#[derive(Clone)]
pub struct SignedCookieJar {
    jar: CookieJar,
    key: CookieKey,
}

/// Cookies encrypted (and so also authenticated) with the app's
/// [`CookieKey`]: the client can neither read nor change them; one that does
/// not decrypt reads as absent. Otherwise like [`SignedCookieJar`].
#[derive(Clone)]
pub struct PrivateCookieJar {
    jar: CookieJar,
    key: CookieKey,
}

macro_rules! keyed_jar {
    ($jar:ident, $view:ident, $view_mut:ident, $key:path) => {
        impl $jar {
            /// The cookie called `name`, verified; `None` when absent or not verified.
            pub fn get(&self, name: &str) -> Option<Cookie<'static>> {
                self.jar.jar.$view(&$key(&self.key, name)).get(name)
            }

            /// Adds (or replaces) a cookie, with the defaults of [`CookieJar::add`].
            #[allow(clippy::should_implement_trait)]
            #[must_use = "the jar sets the cookie when returned with the response"]
            pub fn add(mut self, cookie: impl Into<Cookie<'static>>) -> Self {
                let cookie = with_defaults(cookie.into(), self.jar.tls);
                let key = $key(&self.key, cookie.name());
                self.jar.jar.$view_mut(&key).add(cookie);
                self
            }

            /// Removes a cookie (see [`CookieJar::remove`]).
            #[must_use = "the jar removes the cookie when returned with the response"]
            pub fn remove(mut self, cookie: impl Into<Cookie<'static>>) -> Self {
                self.jar
                    .jar
                    .$view_mut(&self.key)
                    .remove(removal(cookie.into()));
                self
            }

            /// The jar underneath, with every cookie as the client sent it.
            pub fn unverified(&self) -> &CookieJar {
                &self.jar
            }
        }

        impl FromRequestParts for $jar {
            type Rejection = crate::problem::Problem;

            async fn from_request_parts(parts: &mut RequestParts) -> Result<Self, Self::Rejection> {
                let key = parts.state::<CookieKey>().cloned().ok_or_else(|| {
                    // Checked when the app is built (`required`): only a hand-written
                    // extractor that skipped the check reaches this.
                    crate::problem::Problem::new(http::StatusCode::INTERNAL_SERVER_ERROR)
                        .with_detail(
                            "the app has no cookie key: add `.state(CookieKey::generate())`",
                        )
                })?;
                Ok($jar {
                    jar: CookieJar::from_parts(parts),
                    key,
                })
            }

            fn required(needs: &mut StateNeeds) {
                needs.require::<CookieKey>();
            }
        }

        impl IntoResponseHeaders for $jar {
            fn extend_headers(self, headers: &mut HeaderMap) -> Result<(), InvalidHeader> {
                append_delta(&self.jar.jar, headers)
            }
        }
    };
}

keyed_jar!(SignedCookieJar, signed, signed_mut, key_for_name);
keyed_jar!(PrivateCookieJar, private, private_mut, same_key);

/// The key a signed cookie called `name` is signed with, derived from the
/// app's key and the name: the `cookie` crate signs the value alone, so
/// without this a signed value would verify under any other name
/// (`nickname=admin` moved to `role=admin`).
fn key_for_name(key: &CookieKey, name: &str) -> CookieKey {
    let mut material = Vec::with_capacity(key.master().len() + name.len() + 1);
    material.extend_from_slice(key.master());
    material.push(0);
    material.extend_from_slice(name.as_bytes());
    CookieKey::derive_from(&material)
}

/// Private cookies bind their name already (it is the AES-GCM associated data).
fn same_key(key: &CookieKey, _name: &str) -> CookieKey {
    key.clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_fill_only_what_is_unset() {
        let cookie = with_defaults(Cookie::new("a", "1"), false);
        assert_eq!(cookie.to_string(), "a=1; HttpOnly; SameSite=Lax; Path=/");
        let mut chosen = Cookie::new("b", "2");
        chosen.set_http_only(false);
        chosen.set_same_site(SameSite::Strict);
        chosen.set_path("/api");
        chosen.set_secure(false);
        assert_eq!(
            with_defaults(chosen, true).to_string(),
            "b=2; SameSite=Strict; Path=/api"
        );
        assert_eq!(
            with_defaults(Cookie::new("c", "3"), true).to_string(),
            "c=3; HttpOnly; SameSite=Lax; Secure; Path=/"
        );
    }
}
