//! Large bodies stream in bounded memory, over real TCP: a 200 MiB upload
//! saved to disk and a 1 GiB file served grow the process's resident memory
//! by a few MiB. (Tests in their own binary, one at a time, so that no other
//! test's memory is counted; run with `--nocapture` to see the figures.)

mod common;

use std::path::PathBuf;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use common::Connection;
use waypost::multipart::{Multipart, MultipartError, MultipartLimits};
use waypost::{post, routes, App, State};

const MIB: usize = 1024 * 1024;
const FILE_SIZE: usize = 200 * MIB;

#[derive(Clone)]
struct Uploads(PathBuf);

#[post("/upload", wrap = [MultipartLimits::new().body(300 * MIB as u64).file(250 * MIB as u64)])]
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

/// Prints the figures (`--nocapture`) and asserts growth under 10 MiB.
fn assert_bounded_growth(what: &str, before: usize, peak: usize) {
    let growth = peak.saturating_sub(before);
    let mib = |bytes: usize| bytes as f64 / MIB as f64;
    eprintln!(
        "{what}: resident {:.1} MiB before, peak {:.1} MiB, growth {:.1} MiB",
        mib(before),
        mib(peak),
        mib(growth)
    );
    assert!(growth < 10 * MIB, "resident memory grew by {growth} bytes");
}

/// One test at a time: each measures the whole process.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

#[tokio::test]
async fn a_200_mib_upload_is_streamed_to_disk_in_bounded_memory() {
    let _alone = ONE_AT_A_TIME.lock().await;
    let Some(before) = resident() else {
        eprintln!("no /proc/self/status here: resident memory is not measured");
        return;
    };
    let dir = std::env::temp_dir().join(format!("waypost-memory-upload-{}", std::process::id()));
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
    assert_eq!(response.ok_text(), FILE_SIZE.to_string());
    assert_eq!(saved.unwrap(), FILE_SIZE as u64);
    assert_bounded_growth("200 MiB upload", before, peak);
}

#[tokio::test]
async fn a_1_gib_file_is_served_in_flat_memory() {
    let _alone = ONE_AT_A_TIME.lock().await;
    let Some(before) = resident() else {
        eprintln!("no /proc/self/status here: resident memory is not measured");
        return;
    };
    const GIB: u64 = 1024 * 1024 * 1024;
    let dir = std::env::temp_dir().join(format!("waypost-memory-download-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // Sparse: a gigabyte of zeros that takes no disk.
    let file = std::fs::File::create(dir.join("big.bin")).unwrap();
    file.set_len(GIB).unwrap();
    drop(file);
    let addr = common::spawn(App::new().files("/files", &dir)).await;

    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(b"GET /files/big.bin HTTP/1.1\r\nhost: t\r\nconnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut buffer = vec![0u8; 256 * 1024];
    let mut head = Vec::new();
    let mut body = 0u64;
    let mut peak = before;
    let mut reads = 0u64;
    let mut in_head = true;
    let read_all = async {
        loop {
            let n = stream.read(&mut buffer).await.unwrap();
            if n == 0 {
                break;
            }
            if in_head {
                // Still in the head: find where it ends.
                head.extend_from_slice(&buffer[..n]);
                if let Some(end) = head.windows(4).position(|w| w == b"\r\n\r\n") {
                    body += (head.len() - end - 4) as u64;
                    head.truncate(end + 4);
                    in_head = false;
                }
                continue;
            }
            body += n as u64;
            reads += 1;
            if reads % 256 == 0 {
                peak = peak.max(resident().unwrap());
            }
        }
    };
    tokio::time::timeout(std::time::Duration::from_secs(120), read_all)
        .await
        .expect("the download finished in time");
    peak = peak.max(resident().unwrap());
    std::fs::remove_dir_all(&dir).unwrap();

    let head = String::from_utf8_lossy(&head);
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(head.contains(&format!("content-length: {GIB}")), "{head}");
    assert_eq!(body, GIB);
    assert_bounded_growth("1 GiB download", before, peak);
}
