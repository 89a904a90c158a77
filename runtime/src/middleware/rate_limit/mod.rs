//! `RateLimit`: requests per client over time, by governor's keyed GCRA limiter.

mod hops;

pub use hops::ProxyHeader;

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use std::hash::{BuildHasher, RandomState};

use governor::clock::Clock;
use governor::nanos::Nanos;
use governor::state::keyed::{DashMapStateStore, ShrinkableKeyedStateStore};
use governor::state::StateStore;
use governor::{Quota, RateLimiter};
use http::{header, HeaderValue, StatusCode};

use super::{Middleware, Next};
use crate::problem::Problem;
use crate::request::Request;
use crate::response::IntoResponse;
use crate::route::HandlerFuture;
use hops::{hops, Hop};

/// Limits how often each client may call the routes it wraps: 429
/// problem+json with `Retry-After` beyond the quota.
///
/// Clients are keyed by IP address (an IPv6 client by its /64): the
/// connection's peer, or, when the peer is one of the configured
/// [`trusted_proxies`](Self::trusted_proxies), the nearest untrusted hop
/// in `X-Forwarded-For`, or in `Forwarded` with
/// [`proxy_header`](Self::proxy_header) (a header from any other peer is
/// ignored: clients can write what they like in it). The header is read from
/// its right end, where each proxy appends, one hop at a time: a trusted
/// proxy is passed only when recorded by its address. A hop that is not an
/// address (`unknown`, an obfuscated `_name`) keys by that name, its port
/// dropped: clients a proxy hides under one name share one quota, and a
/// proxy that makes up a name per request defeats the limit (key by what
/// you compute instead); a hop that cannot be read (a malformed `Forwarded`
/// element, one without `for`) keys by the proxy that wrote it, and is
/// logged once per `RateLimit` value. Or key by what you compute with
/// [`key_by`](Self::key_by) (an API key, a user id). A request with no peer
/// address (the app served by another tower stack that does not tell
/// waypost, or the test client) counts against one shared quota.
///
/// Memory stays bounded however many clients appear: keys are fixed-size,
/// and past [`max_clients`](Self::max_clients) keys idle ones are dropped;
/// if all are active, clients not yet known share one overflow quota until
/// room is made, while known clients keep their own.
///
/// ```
/// use waypost::{middleware::RateLimit, App};
/// let app = App::new().wrap(
///     RateLimit::per_second(10)
///         .burst(20)
///         .trusted_proxies(["10.0.0.2".parse().unwrap()]),
/// );
/// ```
#[derive(Clone)]
pub struct RateLimit {
    quota: Quota,
    trusted: Arc<[IpAddr]>,
    proxy_header: ProxyHeader,
    key: Option<KeyFn>,
    max_clients: usize,
    clock: LimitClock,
    /// Keys hashes of computed keys; random per limiter, so clients cannot aim at collisions.
    hasher: RandomState,
    /// An unreadable forwarded header has been logged.
    warned: Arc<AtomicBool>,
}

type KeyFn = Arc<dyn Fn(&Request) -> Option<String> + Send + Sync>;

/// Who a request counts against. Fixed size whatever clients send: memory
/// is bounded by the number of keys alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum ClientKey {
    /// An IPv4 address, or an IPv6 /64 (one subscriber's usual allocation:
    /// a client cannot dodge the limit by walking its own /64).
    Ip(IpAddr),
    /// A hash of a computed key, or of a forwarded hop that is not an address.
    Hashed(u64),
    /// No key could be found (no peer, the key function said `None`), or
    /// there is no room for another client.
    Shared,
}

impl RateLimit {
    /// At most `requests` per second per client, in bursts of as many.
    pub fn per_second(requests: u32) -> Self {
        Self::with_quota(Quota::per_second(non_zero(requests)))
    }

    /// At most `requests` per minute per client, in bursts of as many.
    pub fn per_minute(requests: u32) -> Self {
        Self::with_quota(Quota::per_minute(non_zero(requests)))
    }

    fn with_quota(quota: Quota) -> Self {
        RateLimit {
            quota,
            trusted: Arc::from([]),
            proxy_header: ProxyHeader::XForwardedFor,
            key: None,
            max_clients: 100_000,
            clock: LimitClock::real(),
            hasher: RandomState::new(),
            warned: Arc::default(),
        }
    }

    /// Lets a client send up to `requests` at once before the rate applies.
    pub fn burst(mut self, requests: u32) -> Self {
        self.quota = self.quota.allow_burst(non_zero(requests));
        self
    }

    /// Proxies whose [`proxy_header`](Self::proxy_header) is believed. List
    /// only proxies that append to that header: a hop recorded by a trusted
    /// address is passed, and past the last one what the client wrote decides.
    pub fn trusted_proxies(mut self, proxies: impl IntoIterator<Item = IpAddr>) -> Self {
        self.trusted = proxies.into_iter().map(|ip| ip.to_canonical()).collect();
        self
    }

    /// The header the trusted proxies append the client's address to:
    /// `X-Forwarded-For` (the default) or `Forwarded` (RFC 7239). Only that
    /// one is read; the other is the client's to write.
    ///
    /// ```
    /// use waypost::middleware::{ProxyHeader, RateLimit};
    /// let limit = RateLimit::per_second(10)
    ///     .trusted_proxies(["10.0.0.2".parse().unwrap()])
    ///     .proxy_header(ProxyHeader::Forwarded);
    /// ```
    pub fn proxy_header(mut self, header: ProxyHeader) -> Self {
        self.proxy_header = header;
        self
    }

    /// Keys clients by what `key` returns instead of by address; `None` counts against one shared quota.
    pub fn key_by(
        mut self,
        key: impl Fn(&Request) -> Option<String> + Send + Sync + 'static,
    ) -> Self {
        self.key = Some(Arc::new(key));
        self
    }

    /// How many clients are remembered at most (100,000 by default).
    pub fn max_clients(mut self, clients: usize) -> Self {
        self.max_clients = clients.max(1);
        self
    }

    /// Measures time with `clock` instead of the system's: for tests that move time themselves.
    pub fn clock(mut self, clock: ManualClock) -> Self {
        self.clock = LimitClock(Some(clock));
        self
    }

    fn client_key(&self, req: &Request) -> ClientKey {
        if let Some(key) = &self.key {
            return key(req).map_or(ClientKey::Shared, |key| {
                ClientKey::Hashed(self.hasher.hash_one(key))
            });
        }
        let Some(peer) = req.peer_addr().map(|addr| addr.ip().to_canonical()) else {
            return ClientKey::Shared;
        };
        if !self.trusted.contains(&peer) {
            return address_key(peer);
        }
        // Past our own proxies, the first hop they did not make is the client.
        let mut farthest_trusted = peer;
        for hop in hops(req.headers(), self.proxy_header) {
            match hop {
                Hop::Address(ip) if self.trusted.contains(&ip) => farthest_trusted = ip,
                Hop::Address(ip) => return address_key(ip),
                Hop::Named(name) => return ClientKey::Hashed(self.hasher.hash_one(&*name)),
                Hop::Unreadable => {
                    // Who stands beyond cannot be told: the proxy that wrote
                    // this is keyed, and every client behind it shares its quota.
                    self.warn_unreadable(farthest_trusted);
                    break;
                }
            }
        }
        // Every hop is ours (or none was given): the farthest of them is the client.
        address_key(farthest_trusted)
    }

    /// Says once per `RateLimit` value (clones included) that a trusted proxy's header could not be read.
    #[cold]
    fn warn_unreadable(&self, proxy: IpAddr) {
        if !self.warned.load(Ordering::Relaxed) && !self.warned.swap(true, Ordering::Relaxed) {
            tracing::warn!(
                %proxy,
                header = ?self.proxy_header,
                "RateLimit: a trusted proxy's forwarded header cannot be read; \
                 the clients behind it share one quota (is `proxy_header` the one it writes?)"
            );
        }
    }
}

/// The key of an address: itself for IPv4, its /64 for IPv6.
fn address_key(ip: IpAddr) -> ClientKey {
    match ip {
        IpAddr::V4(_) => ClientKey::Ip(ip),
        IpAddr::V6(v6) => {
            let prefix = u128::from(v6) & !((1u128 << 64) - 1);
            ClientKey::Ip(IpAddr::V6(prefix.into()))
        }
    }
}

fn non_zero(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN)
}

/// A clock a test moves by hand; clones share the time.
///
/// ```
/// use std::time::Duration;
/// use waypost::middleware::{ManualClock, RateLimit};
/// let clock = ManualClock::new();
/// let limit = RateLimit::per_second(1).clock(clock.clone());
/// clock.advance(Duration::from_secs(1));
/// ```
#[derive(Debug, Clone, Default)]
pub struct ManualClock(Arc<AtomicU64>);

impl ManualClock {
    /// A clock at zero.
    pub fn new() -> Self {
        ManualClock::default()
    }

    /// Moves the clock forward.
    pub fn advance(&self, by: Duration) {
        self.0.fetch_add(by.as_nanos() as u64, Ordering::SeqCst);
    }
}

/// The system's monotonic clock, or a [`ManualClock`].
#[derive(Debug, Clone)]
struct LimitClock(Option<ManualClock>);

static START: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();

impl LimitClock {
    fn real() -> Self {
        START.get_or_init(Instant::now);
        LimitClock(None)
    }
}

impl Clock for LimitClock {
    type Instant = Duration;

    fn now(&self) -> Duration {
        match &self.0 {
            Some(manual) => Duration::from_nanos(manual.0.load(Ordering::SeqCst)),
            None => START.get_or_init(Instant::now).elapsed(),
        }
    }
}

type Limiter =
    RateLimiter<ClientKey, SharedStore, LimitClock, governor::middleware::NoOpMiddleware<Duration>>;

/// governor's DashMap store, shared with `Active` so that it can tell which
/// clients it holds (governor itself does not say).
#[derive(Clone, Default)]
struct SharedStore(Arc<DashMapStateStore<ClientKey>>);

impl StateStore for SharedStore {
    type Key = ClientKey;

    fn measure_and_replace<T, F, E>(&self, key: &ClientKey, f: F) -> Result<T, E>
    where
        F: Fn(Option<Nanos>) -> Result<(T, Nanos), E>,
    {
        self.0.measure_and_replace(key, f)
    }
}

impl ShrinkableKeyedStateStore<ClientKey> for SharedStore {
    fn retain_recent(&self, drop_below: Nanos) {
        self.0.retain_recent(drop_below)
    }

    fn shrink_to_fit(&self) {
        ShrinkableKeyedStateStore::shrink_to_fit(&*self.0)
    }

    fn len(&self) -> usize {
        ShrinkableKeyedStateStore::len(&*self.0)
    }

    fn is_empty(&self) -> bool {
        ShrinkableKeyedStateStore::is_empty(&*self.0)
    }
}

/// A built rate limit: the configuration and the limiter every request of its scope shares.
struct Active {
    config: RateLimit,
    limiter: Limiter,
    store: SharedStore,
    /// When idle keys were last dropped, in nanoseconds of the limiter's clock.
    last_sweep: AtomicU64,
}

/// How often at most a full map is swept of idle keys.
const SWEEP_EVERY: Duration = Duration::from_secs(1);

impl Active {
    /// Checks the request; the error is the 429.
    fn check(&self, req: &Request) -> Result<(), Duration> {
        let mut key = self.config.client_key(req);
        // A full map makes room by dropping idle clients; while it stays
        // full, clients it does not hold yet share one quota. Those it holds keep theirs.
        if self.limiter.len() >= self.config.max_clients && !self.store.0.contains_key(&key) {
            // Dropping idle keys walks the whole map: at most once a second.
            let now = self.config.clock.now().as_nanos() as u64;
            let last = self.last_sweep.load(Ordering::Relaxed);
            if now.saturating_sub(last) >= SWEEP_EVERY.as_nanos() as u64
                && self
                    .last_sweep
                    .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                    .is_ok()
            {
                self.limiter.retain_recent();
                self.limiter.shrink_to_fit();
            }
            if self.limiter.len() >= self.config.max_clients && !self.store.0.contains_key(&key) {
                key = ClientKey::Shared;
            }
        }
        self.limiter
            .check_key(&key)
            .map_err(|not_until| not_until.wait_time_from(self.config.clock.now()))
    }
}

impl Middleware for RateLimit {
    fn call(&self, req: Request, next: Next) -> HandlerFuture {
        // `wrap` builds the limiter once (see `into_layer`); a `RateLimit`
        // called directly has no memory between requests.
        Active::from(self.clone()).call(req, next)
    }

    fn name(&self) -> &'static str {
        "RateLimit"
    }

    fn into_layer(self) -> super::ChainLayer {
        super::ChainLayer(super::Layer::Middleware(Arc::new(Active::from(self))))
    }
}

impl From<RateLimit> for Active {
    fn from(config: RateLimit) -> Self {
        let store = SharedStore::default();
        let limiter = RateLimiter::new(config.quota, store.clone(), config.clock.clone());
        Active {
            config,
            limiter,
            store,
            last_sweep: AtomicU64::new(0),
        }
    }
}

impl Middleware for Active {
    fn call(&self, req: Request, next: Next) -> HandlerFuture {
        match self.check(&req) {
            Ok(()) => next.run(req).into_boxed(),
            Err(wait) => {
                let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
                let seconds = seconds.max(1);
                let mut response = Problem::new(StatusCode::TOO_MANY_REQUESTS)
                    .with_detail(format!(
                        "too many requests from this client; retry in {seconds} s"
                    ))
                    .with_extension("retry_after", seconds)
                    .into_response();
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
                HandlerFuture::new(std::future::ready(response))
            }
        }
    }

    fn name(&self) -> &'static str {
        "RateLimit"
    }
}
