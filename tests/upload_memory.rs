//! A 200 MiB upload streamed to disk over real TCP grows the process's
//! resident memory by less than 10 MiB: multipart files are never buffered
//! whole. (One test in its own binary, so that no other test's memory is
//! counted; run with `--nocapture` to see the figures.)

mod common;

use std::path::PathBuf;

use common::Connection;
use waypost::multipart::{Multipart, MultipartError, MultipartLimits};
use waypost::{post, routes, App, State};

const MIB: usize = 1024 * 1024;
const FILE_SIZE: usize = 200 * MIB;

#[derive(Clone)]
struct Uploads(PathBuf);

#[post("/upload", wrap = [MultipartLimits::new().body(300 * MIB).file(250 * MIB as u64)])]
async fn upload(
    State(Uploads(dir)): State<Uploads>,
    mut form: Multipart,
) -> Result<String, MultipartError> {
    let mut sizes = Vec::new();
    while let Some(field) = form.next_field().await? {
        sizes.push(field.save_in(&dir).await?.size().to_string());
    }
    Ok(sizes.join(","))
}

/// This process's resident set, in bytes (Linux).
fn resident() -> Option<usize> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmRSS:"))?;
    let kib: usize = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

#[tokio::test]
async fn a_200_mib_upload_is_streamed_to_disk_in_bounded_memory() {
    let Some(before) = resident() else {
        eprintln!("no /proc/self/status here: resident memory is not measured");
        return;
    };
    let dir = std::env::temp_dir().join(format!("waypost-upload-memory-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let addr = common::spawn(
        App::new()
            .state(Uploads(dir.clone()))
            .mount("/", routes![upload]),
    )
    .await;

    let head =
        "--BOUNDARY\r\nContent-Disposition: form-data; name=\"big\"; filename=\"big.bin\"\r\n\r\n";
    let tail = "\r\n--BOUNDARY--\r\n";
    let mut connection = Connection::open(addr).await;
    connection
        .send(
            format!(
                "POST /upload HTTP/1.1\r\nhost: t\r\ncontent-type: multipart/form-data; boundary=BOUNDARY\r\ncontent-length: {}\r\n\r\n{head}",
                head.len() + FILE_SIZE + tail.len()
            )
            .as_bytes(),
        )
        .await;
    let chunk = vec![b'w'; 256 * 1024];
    let mut peak = before;
    for sent in 0..FILE_SIZE / chunk.len() {
        connection.send(&chunk).await;
        if sent % 64 == 0 {
            peak = peak.max(resident().unwrap());
        }
    }
    connection.send(tail.as_bytes()).await;
    let response = connection.read_response(false).await;
    peak = peak.max(resident().unwrap());

    let saved = std::fs::metadata(dir.join("big.bin")).map(|m| m.len());
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(
        response.status,
        200,
        "{}",
        String::from_utf8_lossy(&response.body)
    );
    assert_eq!(
        String::from_utf8_lossy(&response.body),
        FILE_SIZE.to_string()
    );
    assert_eq!(saved.unwrap(), FILE_SIZE as u64);
    let growth = peak.saturating_sub(before);
    eprintln!(
        "200 MiB upload: resident {:.1} MiB before, peak {:.1} MiB, growth {:.1} MiB",
        before as f64 / MIB as f64,
        peak as f64 / MIB as f64,
        growth as f64 / MIB as f64
    );
    assert!(growth < 10 * MIB, "resident memory grew by {growth} bytes");
}
