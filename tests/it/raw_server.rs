//! A loopback HTTP/1.1 server whose answers are written by hand, byte by
//! byte, so that they can be wrong in every way a real network can be:
//! trickled, cut short, reset, oversized, lying about their length, or never
//! sent at all. wiremock (hyper underneath) only ever writes valid HTTP.
//!
//! Each request (numbered from 0 across all connections, in arrival order)
//! is answered by the [`Step`]s the script returns for its number. A
//! connection whose steps neither close nor reset it stays open for the next
//! request, as keep-alive clients expect.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;

/// The longest request head read; the client under test sends a few KB.
const MAX_HEAD: usize = 64 * 1024;

/// One thing the server does while answering.
#[derive(Debug, Clone)]
pub enum Step {
    /// Writes these bytes.
    Send(Vec<u8>),
    /// Writes these bytes `chunk` at a time, pausing `every` in between,
    /// until done or the client goes away.
    Trickle {
        bytes: Vec<u8>,
        chunk: usize,
        every: Duration,
    },
    /// Closes the connection with a TCP reset (RST), dropping anything
    /// unsent.
    Reset,
    /// Closes the connection (FIN) after flushing.
    Close,
    /// Sends nothing more and waits for the client to give up.
    Hang,
}

/// The script: the steps that answer request number `n`.
pub type Script = Arc<dyn Fn(usize) -> Vec<Step> + Send + Sync>;

/// A running server; stops (with all its connections) when dropped.
pub struct RawServer {
    addr: SocketAddr,
    requests: Arc<AtomicUsize>,
    tasks: tokio::task::AbortHandle,
}

impl RawServer {
    /// Listens on `127.0.0.1:0` and answers every request with `script`.
    pub async fn start(script: Script) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let requests = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&requests);
        let tasks = tokio::spawn(async move {
            // Owned here, so aborting the accept loop aborts every
            // connection too.
            let mut connections = JoinSet::new();
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    // Out of descriptors, say: do not spin.
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                };
                connections.spawn(serve(stream, Arc::clone(&script), Arc::clone(&counter)));
                // Reap finished connections as we go.
                while connections.try_join_next().is_some() {}
            }
        })
        .abort_handle();
        Self {
            addr,
            requests,
            tasks,
        }
    }

    /// `http://127.0.0.1:{port}`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// How many complete requests arrived.
    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }
}

impl Drop for RawServer {
    fn drop(&mut self) {
        self.tasks.abort();
    }
}

async fn serve(mut stream: TcpStream, script: Script, counter: Arc<AtomicUsize>) {
    let mut buf = Vec::new();
    loop {
        if !read_request(&mut stream, &mut buf).await {
            return;
        }
        let n = counter.fetch_add(1, Ordering::SeqCst);
        for step in script(n) {
            match step {
                Step::Send(bytes) => {
                    if stream.write_all(&bytes).await.is_err() {
                        return;
                    }
                }
                Step::Trickle {
                    bytes,
                    chunk,
                    every,
                } => {
                    for piece in bytes.chunks(chunk.max(1)) {
                        if stream.write_all(piece).await.is_err() || stream.flush().await.is_err() {
                            return;
                        }
                        tokio::time::sleep(every).await;
                    }
                }
                Step::Reset => {
                    // A zero linger does not block (unlike other values):
                    // closing then sends RST at once. `set_zero_linger`
                    // would say so without the `allow`, but needs tokio
                    // 1.50 and the crate's floor is 1.38.
                    #[allow(deprecated)]
                    let _ = stream.set_linger(Some(Duration::ZERO));
                    return;
                }
                Step::Close => {
                    let _ = stream.shutdown().await;
                    return;
                }
                Step::Hang => {
                    // Until the client closes its end (EOF or error).
                    let mut sink = [0u8; 1024];
                    while matches!(stream.read(&mut sink).await, Ok(n) if n > 0) {}
                    return;
                }
            }
        }
    }
}

/// Reads one request (head and `Content-Length` body) into `buf`, keeping
/// what follows it; `false` when the client closed or sent garbage.
async fn read_request(stream: &mut TcpStream, buf: &mut Vec<u8>) -> bool {
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        if buf.len() > MAX_HEAD {
            return false;
        }
        match stream.read(&mut chunk).await {
            Ok(n) if n > 0 => buf.extend_from_slice(&chunk[..n]),
            _ => return false,
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    while buf.len() < head_end + length {
        match stream.read(&mut chunk).await {
            Ok(n) if n > 0 => buf.extend_from_slice(&chunk[..n]),
            _ => return false,
        }
    }
    buf.drain(..head_end + length);
    true
}

/// An HTTP/1.1 response with an exact `Content-Length`.
pub fn response(status: &str, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    let mut out = head(status, headers);
    out.truncate(out.len() - 2);
    out.extend_from_slice(format!("Content-Length: {}\r\n\r\n", body.len()).as_bytes());
    out.extend_from_slice(body);
    out
}

/// `HTTP/1.1 {status}`, the headers and the blank line, nothing else.
pub fn head(status: &str, headers: &[(&str, &str)]) -> Vec<u8> {
    let mut out = format!("HTTP/1.1 {status}\r\n");
    for (name, value) in headers {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    out.push_str("\r\n");
    out.into_bytes()
}

/// A JSON response with an exact length.
pub fn json(status: &str, body: &str) -> Vec<u8> {
    response(
        status,
        &[("Content-Type", "application/json")],
        body.as_bytes(),
    )
}
