//! Every request runs inside a `request` span carrying its method and path,
//! when a subscriber wants one.

use std::fmt::Debug;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};
use waypost::{get, routes, App, TestClient};

/// Records each new span's name and fields as text.
#[derive(Clone, Default)]
struct Recorder {
    spans: Arc<Mutex<Vec<String>>>,
    next_id: Arc<AtomicU64>,
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
        Id::from_u64(self.next_id.fetch_add(1, Ordering::Relaxed) + 1)
    }

    fn record(&self, _: &Id, _: &Record<'_>) {}
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, _: &Event<'_>) {}
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
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
