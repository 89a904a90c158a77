//! WebSockets over real TCP with a real client (tokio-tungstenite): echo,
//! the close handshake, an oversized message refused, middleware before the
//! upgrade, and plain requests to a WebSocket route answered 426.

mod common;

use std::sync::{Arc, Mutex};

use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::Message as ClientMessage;
use waypost::ws::{Message, WebSocketUpgrade};
use waypost::{get, middleware, routes, App, Next, Problem, Request, Response, State, StatusCode};

/// What the server side of a socket saw, for the tests to read.
#[derive(Clone, Default)]
struct Seen(Arc<Mutex<Vec<String>>>);

impl Seen {
    fn push(&self, what: String) {
        self.0.lock().unwrap().push(what);
    }
    fn all(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }
}

#[get("/echo")]
async fn echo(ws: WebSocketUpgrade, State(seen): State<Seen>) -> Response {
    ws.max_message_size(1024)
        .on_upgrade(|mut socket| async move {
            while let Some(message) = socket.recv().await {
                match message {
                    Ok(Message::Close(frame)) => {
                        seen.push(format!("close {:?}", frame.map(|f| (f.code, f.reason))));
                    }
                    Ok(message @ (Message::Text(_) | Message::Binary(_))) => {
                        if socket.send(message).await.is_err() {
                            break;
                        }
                    }
                    Ok(_) => {}
                    Err(error) => {
                        seen.push(format!("error {error}"));
                        break;
                    }
                }
            }
            seen.push("ended".to_owned());
        })
}

#[middleware]
async fn require_token(request: Request, next: Next) -> Result<Response, Problem> {
    if request
        .headers()
        .get("x-token")
        .is_some_and(|t| t == "secret")
    {
        Ok(next.run(request).await)
    } else {
        Err(Problem::new(StatusCode::UNAUTHORIZED).with_detail("no token"))
    }
}

#[get("/guarded", wrap = [require_token])]
async fn guarded(ws: WebSocketUpgrade) -> Response {
    ws.on_upgrade(|mut socket| async move {
        let _ = socket.send(Message::Text("welcome".into())).await;
    })
}

async fn serve(seen: &Seen) -> std::net::SocketAddr {
    common::spawn(
        App::new()
            .state(seen.clone())
            .mount("/", routes![echo, guarded]),
    )
    .await
}

async fn wait_for(seen: &Seen, what: &str) -> Vec<String> {
    for _ in 0..250 {
        if seen.all().iter().any(|s| s.contains(what)) {
            return seen.all();
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("{what:?} never seen: {:?}", seen.all());
}

#[tokio::test]
async fn echo_and_the_close_handshake() {
    let seen = Seen::default();
    let addr = serve(&seen).await;
    let (mut socket, response) = tokio::time::timeout(
        common::STEP,
        tokio_tungstenite::connect_async(format!("ws://{addr}/echo")),
    )
    .await
    .unwrap()
    .expect("upgrade");
    assert_eq!(response.status(), 101);

    socket.send(ClientMessage::text("hello")).await.unwrap();
    let reply = tokio::time::timeout(common::STEP, socket.next())
        .await
        .unwrap();
    assert_eq!(reply.unwrap().unwrap(), ClientMessage::text("hello"));
    socket
        .send(ClientMessage::binary(vec![1u8, 2, 3]))
        .await
        .unwrap();
    let reply = tokio::time::timeout(common::STEP, socket.next())
        .await
        .unwrap();
    assert_eq!(
        reply.unwrap().unwrap(),
        ClientMessage::binary(vec![1u8, 2, 3])
    );

    socket
        .close(Some(CloseFrame {
            code: CloseCode::Normal,
            reason: "bye".into(),
        }))
        .await
        .unwrap();
    // The server answers the close frame; then the stream ends.
    let answer = tokio::time::timeout(common::STEP, socket.next())
        .await
        .unwrap();
    assert!(
        matches!(answer, Some(Ok(ClientMessage::Close(_))) | None),
        "{answer:?}"
    );
    let seen = wait_for(&seen, "ended").await;
    assert!(
        seen.contains(&"close Some((1000, \"bye\"))".to_owned()),
        "{seen:?}"
    );
}

#[tokio::test]
async fn an_oversized_message_ends_the_socket_and_the_server_goes_on() {
    let seen = Seen::default();
    let addr = serve(&seen).await;
    let (mut socket, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/echo"))
        .await
        .expect("upgrade");
    let _ = socket.send(ClientMessage::text("x".repeat(4096))).await;
    // The server refuses it: no echo comes back, the socket ends.
    let next = tokio::time::timeout(common::STEP, socket.next())
        .await
        .unwrap();
    assert!(
        !matches!(next, Some(Ok(ClientMessage::Text(_)))),
        "{next:?}"
    );
    let seen_now = wait_for(&seen, "error").await;
    assert!(
        seen_now
            .iter()
            .any(|s| s.contains("Message too long") || s.contains("Space limit")),
        "{seen_now:?}"
    );
    // Other sockets are served as before.
    let (mut again, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/echo"))
        .await
        .expect("upgrade");
    again.send(ClientMessage::text("still here")).await.unwrap();
    let reply = tokio::time::timeout(common::STEP, again.next())
        .await
        .unwrap();
    assert_eq!(reply.unwrap().unwrap(), ClientMessage::text("still here"));
}

#[tokio::test]
async fn middleware_runs_before_the_upgrade() {
    let seen = Seen::default();
    let addr = serve(&seen).await;
    let refused = tokio_tungstenite::connect_async(format!("ws://{addr}/guarded")).await;
    match refused {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), 401)
        }
        other => panic!("expected a 401, got {other:?}"),
    }
    let mut request = format!("ws://{addr}/guarded")
        .into_client_request()
        .unwrap();
    request
        .headers_mut()
        .insert("x-token", "secret".parse().unwrap());
    let (mut socket, _) = tokio_tungstenite::connect_async(request)
        .await
        .expect("upgrade with the token");
    let welcome = tokio::time::timeout(common::STEP, socket.next())
        .await
        .unwrap();
    assert_eq!(welcome.unwrap().unwrap(), ClientMessage::text("welcome"));
}

#[tokio::test]
async fn a_plain_request_to_a_websocket_route_is_told_to_upgrade() {
    let seen = Seen::default();
    let addr = serve(&seen).await;
    let mut connection = common::Connection::open(addr).await;
    connection
        .send(b"GET /echo HTTP/1.1\r\nhost: x\r\n\r\n")
        .await;
    let response = connection.read_response(false).await;
    assert_eq!(response.status, 426);
    assert_eq!(response.header("upgrade"), Some("websocket"));
    assert_eq!(response.header("sec-websocket-version"), Some("13"));
    assert_eq!(
        response.header("content-type"),
        Some("application/problem+json")
    );
    // A wrong version is refused the same way.
    connection
        .send(
            b"GET /echo HTTP/1.1\r\nhost: x\r\nconnection: upgrade\r\nupgrade: websocket\r\n\
              sec-websocket-version: 8\r\nsec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
        )
        .await;
    assert_eq!(connection.read_response(false).await.status, 426);
}

#[get("/plain")]
async fn plain() -> &'static str {
    "plain"
}

#[tokio::test]
async fn open_sockets_count_against_the_connection_cap() {
    use std::future::IntoFuture;
    let seen = Seen::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = App::new()
        .state(seen.clone())
        .mount("/", routes![echo, plain])
        .serve_listener(listener)
        .max_connections(2);
    tokio::spawn(server.into_future());

    let (mut first, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/echo"))
        .await
        .expect("first socket");
    let (_second, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/echo"))
        .await
        .expect("second socket");
    // Both places are taken by open sockets: a third client waits.
    let mut third = common::Connection::open(addr).await;
    third.send(b"GET /plain HTTP/1.1\r\nhost: x\r\n\r\n").await;
    let waiting = tokio::time::timeout(
        std::time::Duration::from_millis(500),
        third.read_response(false),
    )
    .await;
    assert!(waiting.is_err(), "served beyond the cap: {waiting:?}");
    // One socket closes: the waiting client is served.
    first.close(None).await.unwrap();
    while let Some(Ok(_)) = first.next().await {}
    drop(first);
    let response = third.read_response(false).await;
    assert_eq!(response.status, 200);
    assert_eq!(response.body, b"plain");
}

#[get("/lively")]
async fn lively(ws: WebSocketUpgrade, State(seen): State<Seen>) -> Response {
    ws.ping_interval(std::time::Duration::from_millis(100))
        .idle_timeout(std::time::Duration::from_millis(400))
        .on_upgrade(|mut socket| async move {
            while let Some(message) = socket.recv().await {
                if let Err(error) = message {
                    seen.push(format!("error {error}"));
                    break;
                }
            }
            seen.push("ended".to_owned());
        })
}

async fn serve_lively(seen: &Seen) -> std::net::SocketAddr {
    common::spawn(App::new().state(seen.clone()).mount("/", routes![lively])).await
}

#[tokio::test]
async fn a_client_that_answers_pings_stays_and_a_silent_one_is_timed_out() {
    // This client's pongs go out as it reads: it stays well past the idle timeout.
    let present = Seen::default();
    let addr = serve_lively(&present).await;
    let (mut socket, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/lively"))
        .await
        .expect("upgrade");
    let pings = tokio::time::timeout(std::time::Duration::from_millis(1200), async {
        let mut pings = 0;
        while let Some(Ok(message)) = socket.next().await {
            if matches!(message, ClientMessage::Ping(_)) {
                pings += 1;
            }
        }
        pings
    })
    .await;
    assert!(
        pings.is_err(),
        "the socket ended early: {:?}",
        present.all()
    );
    assert!(present.all().is_empty(), "{:?}", present.all());

    // This one never reads, so it never answers: the server gives up on it.
    let vanished = Seen::default();
    let addr = serve_lively(&vanished).await;
    let (_silent, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/lively"))
        .await
        .expect("upgrade");
    let seen = wait_for(&vanished, "ended").await;
    assert!(seen.iter().any(|s| s.contains("idle timeout")), "{seen:?}");
}
