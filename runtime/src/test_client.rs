//! An in-process client for tests: requests go through the same service as the server's, without a socket.

use bytes::Bytes;
use http::header::{HeaderMap, HeaderName, HeaderValue, CONTENT_TYPE};
use http::{Method, StatusCode};
use http_body_util::BodyExt;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::app::App;
use crate::service::AppService;
use crate::Body;

/// Sends requests to an app in-process.
///
/// ```
/// use waypost::{get, routes, App, TestClient};
///
/// #[get("/users/<id>")]
/// async fn user(id: u64) -> String { format!("user {id}") }
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let client = TestClient::new(App::new().mount("/", routes![user]));
/// let response = client.get("/users/7").send().await;
/// assert_eq!(response.status(), 200);
/// assert_eq!(response.text(), "user 7");
/// # });
/// ```
#[derive(Clone)]
pub struct TestClient {
    service: AppService,
}

impl TestClient {
    /// Builds the app; panics with the build error's message if it does not hold together.
    pub fn new(app: App) -> Self {
        match app.build() {
            Ok(service) => TestClient { service },
            Err(error) => panic!("TestClient::new: {error}"),
        }
    }

    /// A request with any method.
    pub fn request(&self, method: Method, path: &str) -> TestRequest<'_> {
        TestRequest {
            client: self,
            request: http::Request::builder().method(method).uri(path),
            body: Body::empty(),
        }
    }

    /// A GET request.
    pub fn get(&self, path: &str) -> TestRequest<'_> {
        self.request(Method::GET, path)
    }

    /// A POST request.
    pub fn post(&self, path: &str) -> TestRequest<'_> {
        self.request(Method::POST, path)
    }

    /// A PUT request.
    pub fn put(&self, path: &str) -> TestRequest<'_> {
        self.request(Method::PUT, path)
    }

    /// A PATCH request.
    pub fn patch(&self, path: &str) -> TestRequest<'_> {
        self.request(Method::PATCH, path)
    }

    /// A DELETE request.
    pub fn delete(&self, path: &str) -> TestRequest<'_> {
        self.request(Method::DELETE, path)
    }

    /// A HEAD request.
    pub fn head(&self, path: &str) -> TestRequest<'_> {
        self.request(Method::HEAD, path)
    }

    /// An OPTIONS request.
    pub fn options(&self, path: &str) -> TestRequest<'_> {
        self.request(Method::OPTIONS, path)
    }
}

/// A request being put together; `send` it to get the response.
pub struct TestRequest<'a> {
    client: &'a TestClient,
    request: http::request::Builder,
    body: Body,
}

impl TestRequest<'_> {
    /// Adds a header. Panics if the name or value is not valid: tests write them.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        let name = HeaderName::try_from(name).expect("TestRequest::header: invalid header name");
        let value =
            HeaderValue::try_from(value).expect("TestRequest::header: invalid header value");
        self.request = self.request.header(name, value);
        self
    }

    /// Sets the body as is.
    pub fn body(mut self, body: impl Into<Body>) -> Self {
        self.body = body.into();
        self
    }

    /// Sets a JSON body and `Content-Type: application/json`.
    pub fn json<T: Serialize + ?Sized>(self, value: &T) -> Self {
        let bytes = serde_json::to_vec(value).expect("TestRequest::json: value did not serialize");
        self.header("content-type", "application/json").body(bytes)
    }

    /// Sets a URL-encoded form body and its content type.
    pub fn form<T: Serialize + ?Sized>(self, value: &T) -> Self {
        let text =
            serde_urlencoded::to_string(value).expect("TestRequest::form: value did not serialize");
        self.header("content-type", "application/x-www-form-urlencoded")
            .body(text)
    }

    /// Sends the request through the app and reads the whole response.
    pub async fn send(self) -> TestResponse {
        let request = self
            .request
            .body(self.body)
            .expect("TestRequest::send: invalid request (method or path)");
        let response = self.client.service.call(request).await;
        let (parts, body) = response.into_parts();
        let body = body
            .collect()
            .await
            .expect("TestRequest::send: the response body failed")
            .to_bytes();
        TestResponse {
            status: parts.status,
            headers: parts.headers,
            body,
        }
    }
}

/// A response read to its end.
#[derive(Debug, Clone)]
pub struct TestResponse {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

impl TestResponse {
    /// The status code.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// All headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// One header as text; `None` if absent or not visible ASCII.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The `Content-Type` header.
    pub fn content_type(&self) -> Option<&str> {
        self.headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok())
    }

    /// The body's bytes.
    pub fn bytes(&self) -> &Bytes {
        &self.body
    }

    /// The body as text (lossy).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body parsed as JSON; panics with the body if it is not `T`.
    pub fn json<T: DeserializeOwned>(&self) -> T {
        serde_json::from_slice(&self.body).unwrap_or_else(|error| {
            panic!(
                "TestResponse::json: {error}; body was: {}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }
}
