//! Every request runs inside a `request` span carrying its method and path,
//! when a subscriber wants one.

use std::fmt::Debug;
use std::sync::{Arc, Mutex};

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};
use waypost::middleware::{AccessLog, RequestId};
use waypost::{get, routes, App, Group, TestClient};

/// Records each new span's name and fields as text.
#[derive(Clone, Default)]
struct Recorder {
    spans: Arc<Mutex<Vec<String>>>,
    /// Events and values recorded on spans after creation, as text.
    events: Arc<Mutex<Vec<String>>>,
    /// Each span's metadata by id, and the spans entered now, innermost last.
    metadata: Arc<Mutex<Vec<&'static Metadata<'static>>>>,
    entered: Arc<Mutex<Vec<Id>>>,
}

struct Fields(String);

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn Debug) {
        self.0.push_str(&format!(" {}={:?}", field.name(), value));
    }
}

impl Subscriber for Recorder {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }

    fn new_span(&self, span: &Attributes<'_>) -> Id {
        let mut fields = Fields(span.metadata().name().to_owned());
        span.record(&mut fields);
        self.spans.lock().unwrap().push(fields.0);
        let mut metadata = self.metadata.lock().unwrap();
        metadata.push(span.metadata());
        Id::from_u64(metadata.len() as u64)
    }

    fn record(&self, _: &Id, values: &Record<'_>) {
        let mut fields = Fields("record".to_owned());
        values.record(&mut fields);
        self.events.lock().unwrap().push(fields.0);
    }

    fn record_follows_from(&self, _: &Id, _: &Id) {}

    fn event(&self, event: &Event<'_>) {
        let mut fields = Fields(event.metadata().target().to_owned());
        event.record(&mut fields);
        self.events.lock().unwrap().push(fields.0);
    }
    fn enter(&self, id: &Id) {
        self.entered.lock().unwrap().push(id.clone());
    }

    fn exit(&self, _: &Id) {
        self.entered.lock().unwrap().pop();
    }

    fn current_span(&self) -> tracing_core::span::Current {
        match self.entered.lock().unwrap().last() {
            Some(id) => {
                let metadata = self.metadata.lock().unwrap()[id.into_u64() as usize - 1];
                tracing_core::span::Current::new(id.clone(), metadata)
            }
            None => tracing_core::span::Current::none(),
        }
    }
}

#[get("/users/<id>")]
async fn user(id: u64) -> String {
    id.to_string()
}

#[tokio::test]
async fn each_request_gets_a_span_with_method_and_path() {
    let recorder = Recorder::default();
    let _guard = tracing::subscriber::set_default(recorder.clone());
    let client = TestClient::new(App::new().mount("/", routes![user]));

    assert_eq!(client.get("/users/5").send().await.text(), "5");
    client.post("/nowhere").send().await;

    let spans = recorder.spans.lock().unwrap().clone();
    assert_eq!(
        spans,
        [
            "request method=GET path=/users/5",
            "request method=POST path=/nowhere"
        ]
    );
}

/// Runs `test` on a current-thread runtime with `recorder` as the subscriber.
fn run_recorded(recorder: &Recorder, test: impl std::future::Future<Output = ()>) {
    tracing::subscriber::with_default(recorder.clone(), || {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(test)
    });
}

#[test]
fn access_log_writes_one_event_per_request_with_route_status_and_request_id() {
    let recorder = Recorder::default();
    let app = App::new()
        .wrap(RequestId::new())
        .wrap(AccessLog::new())
        .group(Group::new("/api").mount("/", routes![user]));
    run_recorded(&recorder, async {
        let client = TestClient::new(app);
        let response = client
            .get("/api/users/7")
            .header("x-request-id", "req-42")
            .send()
            .await;
        assert_eq!(response.header("x-request-id"), Some("req-42"));
        client.get("/missing").send().await;
    });
    let events = recorder.events.lock().unwrap();
    let access: Vec<&String> = events
        .iter()
        .filter(|e| e.starts_with("waypost::access"))
        .collect();
    assert_eq!(access.len(), 2, "{events:?}");
    let first = access[0];
    for field in [
        "method=GET",
        "path=/api/users/7 ",
        "route=/api/users/<id> ",
        "status=200",
        "request_id=req-42",
        "latency_us=",
    ] {
        assert!(first.contains(field), "{field} missing from {first}");
    }
    assert!(access[1].contains("status=404"), "{}", access[1]);
    assert!(access[1].contains("route= "), "{}", access[1]);
    // The request id is recorded on the request's span.
    assert!(
        events
            .iter()
            .any(|e| e.starts_with("record") && e.contains("request_id=req-42")),
        "{events:?}"
    );
}

#[get("/boom/<id>")]
async fn boom(id: u64) -> String {
    panic!("boom {id}")
}

#[test]
fn a_panic_is_logged_with_method_path_and_route_and_answered_500() {
    let recorder = Recorder::default();
    run_recorded(&recorder, async {
        let client = TestClient::new(App::new().mount("/", routes![boom]));
        let response = client.get("/boom/3").send().await;
        assert_eq!(response.status(), 500);
        // The panic message is for the log, not the client.
        assert!(!response.text().contains("boom 3"), "{}", response.text());
    });
    let events = recorder.events.lock().unwrap();
    let logged = events
        .iter()
        .find(|e| e.contains("panicked"))
        .unwrap_or_else(|| panic!("no panic event in {events:?}"));
    for field in [
        "method=GET",
        "path=\"/boom/3\"",
        "boom",
        "tracing.rs:",
        "panic=\"boom 3\"",
    ] {
        assert!(logged.contains(field), "{field} missing from {logged}");
    }
}

#[test]
fn app_middleware_see_the_500_of_a_panic() {
    let recorder = Recorder::default();
    run_recorded(&recorder, async {
        let client = TestClient::new(
            App::new()
                .wrap(RequestId::new())
                .wrap(AccessLog::new())
                .mount("/", routes![boom]),
        );
        let response = client.get("/boom/4").send().await;
        assert_eq!(response.status(), 500);
        assert!(response.header("x-request-id").is_some());
    });
    let events = recorder.events.lock().unwrap();
    assert!(
        events
            .iter()
            .any(|e| e.starts_with("waypost::access") && e.contains("status=500")),
        "{events:?}"
    );
}

#[derive(Debug)]
struct ProfileError(std::io::Error);

impl std::fmt::Display for ProfileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("loading the profile")
    }
}

impl std::error::Error for ProfileError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0)
    }
}

fn load_profile(id: u64) -> Result<String, ProfileError> {
    Err(ProfileError(std::io::Error::other(format!(
        "disk sector {id} unreadable"
    ))))
}

#[get("/profiles/<id>")]
async fn profile(id: u64) -> Result<String, waypost::Error> {
    Ok(load_profile(id)?)
}

#[test]
fn a_handler_error_is_a_500_whose_cause_chain_is_logged_not_sent() {
    let recorder = Recorder::default();
    run_recorded(&recorder, async {
        let client = TestClient::new(App::new().mount("/", routes![profile]));
        let response = client.get("/profiles/9").send().await;
        assert_eq!(response.status(), 500);
        assert_eq!(
            response.header("content-type"),
            Some("application/problem+json")
        );
        let body = response.text();
        assert!(
            !body.contains("disk") && !body.contains("profile"),
            "the cause is not for clients: {body}"
        );
    });
    let events = recorder.events.lock().unwrap();
    let logged = events
        .iter()
        .find(|e| e.contains("handler failed"))
        .unwrap_or_else(|| panic!("no handler error event in {events:?}"));
    assert!(
        logged.contains("loading the profile: disk sector 9 unreadable"),
        "the whole chain: {logged}"
    );
    assert!(logged.contains("status=500"), "{logged}");
    for field in [
        "method=GET",
        "path=\"/profiles/9\"",
        "tracing::profile",
        "tracing.rs:",
    ] {
        assert!(logged.contains(field), "{field} missing from {logged}");
    }
}
