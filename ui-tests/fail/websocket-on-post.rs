// A WebSocket upgrade is a GET request: on another method the route could never upgrade.
use waypost::ws::WebSocketUpgrade;
use waypost::{post, Response};

#[post("/chat")]
async fn chat(ws: WebSocketUpgrade) -> Response {
    ws.on_upgrade(|_socket| async {})
}

fn main() {}
