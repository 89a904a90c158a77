//! A seeded stream of mutated HTTP/1.1 requests and random HTTP/2 frames
//! against a real server: it answers what it can, closes what it cannot, and
//! serves normally afterwards. (`reliability/run` runs the long version:
//! 10,000 cases.)

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use common::{spawn, Connection};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use waypost::{get, post, routes, App, Bytes};

#[get("/")]
async fn index() -> &'static str {
    "ok"
}

#[get("/users/<id>")]
async fn user(id: u64) -> String {
    format!("user {id}")
}

#[post("/upload")]
async fn upload(body: Bytes) -> String {
    body.len().to_string()
}

/// xorshift64*: a seeded stream, so that a failure can be replayed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn byte(&mut self) -> u8 {
        self.next() as u8
    }
}

const VALID: [&[u8]; 6] = [
    b"GET / HTTP/1.1\r\nHost: t\r\n\r\n",
    b"GET /users/42 HTTP/1.1\r\nHost: t\r\nAccept: */*\r\n\r\n",
    b"POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello",
    b"POST /upload HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
    b"HEAD /healthz HTTP/1.1\r\nHost: t\r\n\r\n",
    b"GET /readyz HTTP/1.0\r\n\r\n",
];

const INSERTS: [&[u8]; 8] = [
    b"\r\n",
    b"\n",
    b":",
    b" ",
    b"\0",
    b"%",
    b"Content-Length: 99\r\n",
    b"Transfer-Encoding: chunked\r\n",
];

fn mutate(rng: &mut Rng, data: &[u8]) -> Vec<u8> {
    let mut data = data.to_vec();
    for _ in 0..1 + rng.below(5) {
        let at = rng.below(data.len() + 1);
        match rng.below(5) {
            0 if !data.is_empty() => {
                let at = at.min(data.len() - 1);
                data[at] = rng.byte();
            }
            1 => {
                let noise: Vec<u8> = (0..1 + rng.below(16)).map(|_| rng.byte()).collect();
                data.splice(at..at, noise);
            }
            2 => {
                let end = (at + 1 + rng.below(16)).min(data.len());
                data.drain(at..end);
            }
            3 => data.truncate(at),
            _ => {
                let insert = INSERTS[rng.below(INSERTS.len())];
                data.splice(at..at, insert.iter().copied());
            }
        }
    }
    data
}

fn h2_frames(rng: &mut Rng) -> Vec<u8> {
    let mut out = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec();
    for _ in 0..1 + rng.below(6) {
        let payload: Vec<u8> = (0..rng.below(64)).map(|_| rng.byte()).collect();
        let length = if rng.below(10) == 0 {
            rng.below(1 << 24)
        } else {
            payload.len()
        };
        out.extend_from_slice(&(length as u32).to_be_bytes()[1..]);
        out.push(rng.below(12) as u8);
        out.push(rng.byte());
        out.extend_from_slice(&((rng.next() as u32) & 0x7fff_ffff).to_be_bytes());
        out.extend_from_slice(&payload);
    }
    out
}

/// Sends one case and reads what comes back for a short while; the status
/// line, when there is one, must be well formed.
async fn send_case(addr: SocketAddr, case: Vec<u8>) {
    let Ok(mut stream) = TcpStream::connect(addr).await else {
        panic!("the server stopped accepting");
    };
    let _ = stream.write_all(&case).await;
    let mut received = Vec::new();
    let _ = tokio::time::timeout(
        Duration::from_millis(300),
        stream.read_to_end(&mut received),
    )
    .await;
    if received.starts_with(b"HTTP/1.") {
        let status = std::str::from_utf8(&received[9..12]).expect("a status code");
        let status: u16 = status.parse().expect("a numeric status");
        assert!((100..600).contains(&status), "{status}");
        if status >= 400 {
            let text = String::from_utf8_lossy(&received);
            assert!(
                text.contains("application/problem+json"),
                "an error without problem+json: {text}"
            );
        }
    }
}

#[tokio::test]
async fn mutated_requests_and_random_frames_leave_the_server_serving() {
    let addr = spawn(App::new().mount("/", routes![index, user, upload])).await;
    let mut rng = Rng(0x5eed_2026_1127);
    let mut cases = Vec::new();
    for _ in 0..400 {
        let case = if rng.below(4) == 0 {
            h2_frames(&mut rng)
        } else {
            let valid = VALID[rng.below(VALID.len())];
            mutate(&mut rng, valid)
        };
        cases.push(case);
    }
    for batch in cases.chunks(50) {
        // Fifty at once, each read for at most 300 ms.
        let mut sends = tokio::task::JoinSet::new();
        for case in batch.iter().cloned() {
            sends.spawn(send_case(addr, case));
        }
        while let Some(sent) = sends.join_next().await {
            sent.expect("a case failed");
        }
        let mut check = Connection::open(addr).await;
        check
            .send(b"GET /users/7 HTTP/1.1\r\nHost: t\r\n\r\n")
            .await;
        let response = check.read_response(false).await;
        assert_eq!(
            (response.status, response.body.as_slice()),
            (200, &b"user 7"[..])
        );
    }
}
