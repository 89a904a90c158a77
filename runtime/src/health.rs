//! Liveness and readiness probes: `/healthz` and `/readyz`, on by default.
//!
//! Liveness answers 200 while the process serves. Readiness runs the checks
//! registered with [`App::readiness_check`](crate::App::readiness_check)
//! concurrently, each under its own timeout, and answers 200 when all pass,
//! 503 when one fails or times out, and 503 without running them once a
//! graceful shutdown has begun (so that a load balancer stops sending
//! requests while in-flight ones finish).
//!
//! Both are routes of the app like any other: listed by
//! [`App::routes`](crate::App::routes), wrapped by app-scope middleware, and
//! reported by [`App::build`](crate::App::build) when a route of the app
//! takes the same path.

use std::fmt::Display;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use http::{header, HeaderValue, StatusCode};
use serde_json::{json, Value};
use tokio::task::JoinSet;

use crate::extract::{FromRequestParts, StateNeeds};
use crate::handler_future::HandlerFuture;
use crate::problem::Problem;
use crate::request::{Request, RequestParts};
use crate::response::{IntoResponse, Response, APPLICATION_JSON};
use crate::route::{MethodSet, Route};

/// Where liveness is answered unless [`App::liveness_path`](crate::App::liveness_path) says otherwise.
pub const DEFAULT_LIVENESS_PATH: &str = "/healthz";
/// Where readiness is answered unless [`App::readiness_path`](crate::App::readiness_path) says otherwise.
pub const DEFAULT_READINESS_PATH: &str = "/readyz";
/// How long a readiness check may take before it counts as failed: under
/// Kubernetes' default probe timeout (1 s), so that a slow check is reported
/// as slow rather than as a probe that never answered.
pub const DEFAULT_CHECK_TIMEOUT: Duration = Duration::from_millis(800);

/// The probe routes, mounted under their configured paths.
pub(crate) static LIVENESS_ROUTE: [Route; 1] = [Route::new(MethodSet::GET, "/", liveness)
    .declared("liveness", "waypost::health", "built in", 0)];
pub(crate) static READINESS_ROUTE: [Route; 1] = [Route::new(MethodSet::GET, "/", readiness)
    .declared("readiness", "waypost::health", "built in", 0)];

/// Probe responses are never cached: each probe must see the state of now.
const NO_STORE: HeaderValue = HeaderValue::from_static("no-store");

fn liveness(_request: Request) -> HandlerFuture {
    HandlerFuture::new(async {
        let mut response = json_response(StatusCode::OK, json!({ "status": "live" }));
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, NO_STORE);
        response
    })
}

fn readiness(request: Request) -> HandlerFuture {
    HandlerFuture::new(async move {
        let (mut parts, _body) = request.into_parts();
        let app = parts.app().clone();
        let mut response = if app.draining.load(Ordering::Acquire) {
            Problem::new(StatusCode::SERVICE_UNAVAILABLE)
                .with_detail("the server is shutting down")
                .with_extension("checks", Value::Array(Vec::new()))
                .into_response()
        } else {
            let reports = run_checks(&app.readiness_checks, &mut parts).await;
            answer(reports)
        };
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, NO_STORE);
        response
    })
}

fn json_response(status: StatusCode, body: Value) -> Response {
    let mut response =
        crate::response::with_content_type(crate::Body::from(body.to_string()), APPLICATION_JSON);
    *response.status_mut() = status;
    response
}

/// One check's result, as the readiness body reports it.
struct Report {
    name: &'static str,
    outcome: Outcome,
    duration: Duration,
}

enum Outcome {
    Up,
    Down(String),
    TimedOut(Duration),
}

impl Report {
    fn to_json(&self) -> Value {
        let duration_ms = (self.duration.as_secs_f64() * 1e6).round() / 1e3;
        match &self.outcome {
            Outcome::Up => {
                json!({ "name": self.name, "outcome": "up", "duration_ms": duration_ms })
            }
            Outcome::Down(error) => json!({
                "name": self.name, "outcome": "down", "error": error, "duration_ms": duration_ms,
            }),
            Outcome::TimedOut(timeout) => json!({
                "name": self.name,
                "outcome": "timed out",
                "error": format!("no answer within {} ms", timeout.as_millis()),
                "duration_ms": duration_ms,
            }),
        }
    }
}

/// 200 with every check, or 503 problem+json naming the first that failed.
fn answer(reports: Vec<Report>) -> Response {
    let checks = Value::Array(reports.iter().map(Report::to_json).collect());
    let failed: Vec<&Report> = reports
        .iter()
        .filter(|report| !matches!(report.outcome, Outcome::Up))
        .collect();
    if failed.is_empty() {
        return json_response(
            StatusCode::OK,
            json!({ "status": "ready", "checks": checks }),
        );
    }
    let names: Vec<String> = failed.iter().map(|r| format!("`{}`", r.name)).collect();
    Problem::new(StatusCode::SERVICE_UNAVAILABLE)
        .with_detail(format!("readiness checks failed: {}", names.join(", ")))
        .with_extension("checks", checks)
        .into_response()
}

/// Extracts each check's arguments in turn, then runs the checks together,
/// each as a task of its own (a panicking check fails only itself), under
/// its own timeout.
async fn run_checks(checks: &[RegisteredCheck], parts: &mut RequestParts) -> Vec<Report> {
    let mut reports: Vec<Option<Report>> = Vec::with_capacity(checks.len());
    let mut running = JoinSet::new();
    for (index, check) in checks.iter().enumerate() {
        let started = Instant::now();
        match check.check.start(parts).await {
            Ok(future) => {
                let (name, timeout) = (check.name, check.timeout);
                running.spawn(async move {
                    let outcome = match tokio::time::timeout(timeout, future).await {
                        Ok(Ok(())) => Outcome::Up,
                        Ok(Err(error)) => Outcome::Down(error),
                        Err(_) => Outcome::TimedOut(timeout),
                    };
                    let report = Report {
                        name,
                        outcome,
                        duration: started.elapsed(),
                    };
                    (index, report)
                });
                reports.push(None);
            }
            Err(rejected) => reports.push(Some(Report {
                name: check.name,
                outcome: Outcome::Down(rejected),
                duration: started.elapsed(),
            })),
        }
    }
    while let Some(joined) = running.join_next().await {
        match joined {
            Ok((index, report)) => reports[index] = Some(report),
            Err(error) => {
                tracing::error!(%error, "a readiness check panicked");
            }
        }
    }
    // A check whose task panicked left its slot empty.
    reports
        .into_iter()
        .zip(checks)
        .map(|(report, check)| {
            report.unwrap_or_else(|| Report {
                name: check.name,
                outcome: Outcome::Down("the check panicked".to_owned()),
                duration: Duration::ZERO,
            })
        })
        .collect()
}

/// A readiness check as the app keeps it.
pub(crate) struct RegisteredCheck {
    pub(crate) name: &'static str,
    pub(crate) timeout: Duration,
    pub(crate) location: String,
    pub(crate) check: Arc<dyn ErasedCheck>,
    pub(crate) required: fn(&mut StateNeeds),
}

impl RegisteredCheck {
    pub(crate) fn new<C, Args>(
        name: &'static str,
        timeout: Duration,
        location: String,
        check: C,
    ) -> Self
    where
        C: ReadinessCheck<Args>,
        Args: Send + Sync + 'static,
    {
        RegisteredCheck {
            name,
            timeout,
            location,
            check: Arc::new(Erased {
                check,
                _args: std::marker::PhantomData::<fn() -> Args>,
            }),
            required: C::required,
        }
    }
}

type CheckFuture = Pin<Box<dyn Future<Output = Result<(), String>> + Send>>;
type StartFuture<'a> = Pin<Box<dyn Future<Output = Result<CheckFuture, String>> + Send + 'a>>;

/// A check with its argument types erased.
pub(crate) trait ErasedCheck: Send + Sync {
    fn start<'a>(&'a self, parts: &'a mut RequestParts) -> StartFuture<'a>;
}

struct Erased<C, Args> {
    check: C,
    _args: std::marker::PhantomData<fn() -> Args>,
}

impl<C: ReadinessCheck<Args>, Args: 'static> ErasedCheck for Erased<C, Args> {
    fn start<'a>(&'a self, parts: &'a mut RequestParts) -> StartFuture<'a> {
        self.check.start(parts)
    }
}

/// What a readiness check returns: `()` (ready), a `bool`, or a `Result`
/// whose error (anything `Display`) says what is wrong.
pub trait CheckOutcome {
    /// `Ok` when ready; otherwise what is wrong.
    fn into_outcome(self) -> Result<(), String>;
}

impl CheckOutcome for () {
    fn into_outcome(self) -> Result<(), String> {
        Ok(())
    }
}

impl CheckOutcome for bool {
    fn into_outcome(self) -> Result<(), String> {
        if self {
            Ok(())
        } else {
            Err("the check reported not ready".to_owned())
        }
    }
}

impl<T, E: Display> CheckOutcome for Result<T, E> {
    fn into_outcome(self) -> Result<(), String> {
        self.map(drop).map_err(|error| error.to_string())
    }
}

/// An async function usable as a readiness check: it takes extractors that
/// read only the head (`State<T>` above all), like a handler, and returns a
/// [`CheckOutcome`]. Implemented for closures and functions of up to eight
/// arguments; `Args` is the tuple of their types.
///
/// ```
/// use waypost::{App, State};
///
/// #[derive(Clone)]
/// struct Db;
/// impl Db {
///     async fn ping(&self) -> Result<(), std::io::Error> { Ok(()) }
/// }
///
/// let app = App::new()
///     .state(Db)
///     .readiness_check("db", |State(db): State<Db>| async move { db.ping().await });
/// assert!(app.build().is_ok());
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be used as a readiness check",
    note = "a readiness check is an async closure or function whose arguments are extractors that do not read the body (such as `State<T>`), returning `()`, `bool` or `Result<T, E: Display>`"
)]
pub trait ReadinessCheck<Args>: Send + Sync + 'static {
    /// Extracts the arguments from the probe's request and starts the check.
    fn start<'a>(&'a self, parts: &'a mut RequestParts) -> StartFuture<'a>;

    /// Records the state types the arguments need, checked by `App::build`.
    fn required(needs: &mut StateNeeds);
}

macro_rules! readiness_check_for {
    ($($arg:ident),*) => {
        impl<F, Fut, $($arg,)*> ReadinessCheck<($($arg,)*)> for F
        where
            F: Fn($($arg),*) -> Fut + Clone + Send + Sync + 'static,
            Fut: Future + Send + 'static,
            Fut::Output: CheckOutcome,
            $($arg: FromRequestParts + 'static,)*
        {
            #[allow(non_snake_case, unused_variables)]
            fn start<'a>(&'a self, parts: &'a mut RequestParts) -> StartFuture<'a> {
                Box::pin(async move {
                    $(
                        let $arg = match $arg::from_request_parts(parts).await {
                            Ok(value) => value,
                            Err(rejection) => return Err(rejection_text(rejection)),
                        };
                    )*
                    // Called inside the future, so that a check whose
                    // synchronous part panics or blocks fails in its own task.
                    let check = self.clone();
                    let future: CheckFuture =
                        Box::pin(async move { check($($arg),*).await.into_outcome() });
                    Ok(future)
                })
            }

            #[allow(unused_variables)]
            fn required(needs: &mut StateNeeds) {
                $($arg::required(needs);)*
            }
        }
    };
}

readiness_check_for!();
readiness_check_for!(A1);
readiness_check_for!(A1, A2);
readiness_check_for!(A1, A2, A3);
readiness_check_for!(A1, A2, A3, A4);
readiness_check_for!(A1, A2, A3, A4, A5);
readiness_check_for!(A1, A2, A3, A4, A5, A6);
readiness_check_for!(A1, A2, A3, A4, A5, A6, A7);
readiness_check_for!(A1, A2, A3, A4, A5, A6, A7, A8);

/// What an extractor's rejection says, for a check that could not start.
fn rejection_text(rejection: impl IntoResponse) -> String {
    let response = rejection.into_response();
    format!(
        "its arguments could not be extracted ({})",
        response.status()
    )
}
