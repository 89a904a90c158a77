//! A chat room on 127.0.0.1:8080: messages come in over a WebSocket and go
//! out to every reader as server-sent events (and back over the sockets).
//!
//! Run it with `cargo run --example chat`, open http://127.0.0.1:8080 in two
//! browser tabs, or from a shell:
//! `curl -N localhost:8080/events` in one terminal, and in another any
//! WebSocket client on `ws://127.0.0.1:8080/ws` (`websocat`, a browser console:
//! `s = new WebSocket("ws://127.0.0.1:8080/ws"); s.onopen = () => s.send("hi")`).
//! Set `CHAT_ADDR` to listen elsewhere (`127.0.0.1:0` picks a free port).

use std::convert::Infallible;
use std::time::Duration;

use futures_util::stream::{self, Stream};
use tokio::sync::broadcast;
use waypost::ws::{Message, WebSocketUpgrade};
use waypost::{get, routes, App, Event, Html, KeepAlive, Response, Sse, State};

/// The room: every message said, to every listener. Listeners that fall more
/// than 256 messages behind miss the oldest (and are told so).
#[derive(Clone)]
struct Room {
    said: broadcast::Sender<String>,
}

#[get("/")]
async fn page() -> Html<&'static str> {
    Html(PAGE)
}

/// Each text message of the socket is said to the room; what the room says is sent back.
#[get("/ws")]
async fn socket(ws: WebSocketUpgrade, State(room): State<Room>) -> Response {
    ws.max_message_size(4096)
        .on_upgrade(|mut socket| async move {
            let mut heard = room.said.subscribe();
            loop {
                tokio::select! {
                    incoming = socket.recv() => match incoming {
                        Some(Ok(Message::Text(text))) => {
                            let _ = room.said.send(text);
                        }
                        Some(Ok(_)) => {}
                        Some(Err(_)) | None => break,
                    },
                    said = heard.recv() => match said {
                        Ok(text) => {
                            if socket.send(Message::Text(text)).await.is_err() {
                                break;
                            }
                        }
                        Err(broadcast::error::RecvError::Lagged(_)) => {}
                        Err(broadcast::error::RecvError::Closed) => break,
                    },
                }
            }
        })
}

/// What the room says, as server-sent events, with a keep-alive comment every 15 s.
#[get("/events")]
async fn events(State(room): State<Room>) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let heard = room.said.subscribe();
    let said = stream::unfold(heard, |mut heard| async move {
        let event = match heard.recv().await {
            Ok(text) => Event::default().event("message").data(text),
            Err(broadcast::error::RecvError::Lagged(missed)) => Event::default()
                .event("lagged")
                .data(format!("{missed} messages missed")),
            Err(broadcast::error::RecvError::Closed) => return None,
        };
        Some((Ok(event), heard))
    });
    Sse::new(said).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (said, _) = broadcast::channel(256);
    let app = App::new()
        .state(Room { said })
        .mount("/", routes![page, socket, events]);
    let addr = std::env::var("CHAT_ADDR").unwrap_or_else(|_| "127.0.0.1:8080".to_owned());
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!("chat on http://{}", listener.local_addr()?);
    app.serve_listener(listener).await?;
    Ok(())
}

const PAGE: &str = r#"<!doctype html>
<meta charset="utf-8">
<title>waypost chat</title>
<ul id="log"></ul>
<form id="say"><input id="text" autocomplete="off" autofocus><button>say</button></form>
<script>
  const log = document.getElementById("log");
  const socket = new WebSocket(`ws://${location.host}/ws`);
  new EventSource("/events").addEventListener("message", (event) => {
    const line = document.createElement("li");
    line.textContent = event.data;
    log.append(line);
  });
  document.getElementById("say").addEventListener("submit", (event) => {
    event.preventDefault();
    const text = document.getElementById("text");
    socket.send(text.value);
    text.value = "";
  });
</script>
"#;
