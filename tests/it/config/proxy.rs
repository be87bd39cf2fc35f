//! A loopback HTTP proxy for plain-http targets: it reads each request in
//! absolute form (`GET http://127.0.0.1:1234/path HTTP/1.1`), checks its
//! `Proxy-Authorization`, and forwards it (one request per connection, both
//! ways) to the target, logging what it saw.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// The longest request head read.
const MAX_HEAD: usize = 64 * 1024;

/// What the proxy saw of one request.
#[derive(Debug, Clone)]
pub(crate) struct Proxied {
    /// `POST http://127.0.0.1:1234/oauth2/v1/token`
    pub(crate) request_line: String,
    /// Whether its `Proxy-Authorization` was the expected one (if it was
    /// not, the proxy answered `407` and forwarded nothing).
    pub(crate) authorized: bool,
}

/// A running proxy; stops when dropped.
pub(crate) struct LoopbackProxy {
    addr: SocketAddr,
    log: Arc<Mutex<Vec<Proxied>>>,
    task: tokio::task::AbortHandle,
}

impl LoopbackProxy {
    /// Listens on `127.0.0.1:0`; requests must carry basic credentials
    /// `user:password`.
    pub(crate) async fn start(user: &str, password: &str) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let expected = format!("Basic {}", STANDARD.encode(format!("{user}:{password}")));
        let log = Arc::new(Mutex::new(Vec::new()));
        let shared = Arc::clone(&log);
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(serve(stream, expected.clone(), Arc::clone(&shared)));
            }
        })
        .abort_handle();
        Self { addr, log, task }
    }

    pub(crate) fn port(&self) -> u16 {
        self.addr.port()
    }

    pub(crate) fn seen(&self) -> Vec<Proxied> {
        self.log.lock().unwrap().clone()
    }
}

impl Drop for LoopbackProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve(mut client: TcpStream, expected: String, log: Arc<Mutex<Vec<Proxied>>>) {
    let mut buf = Vec::new();
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let mut chunk = [0u8; 4096];
        match client.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
        assert!(buf.len() <= MAX_HEAD, "request head too long");
    };
    let head = String::from_utf8(buf[..head_end].to_vec()).unwrap();
    let mut lines = head.split("\r\n");
    let request_line = lines.next().unwrap().to_owned();
    let headers: Vec<(String, String)> = lines
        .filter(|l| !l.is_empty())
        .map(|l| {
            let (name, value) = l.split_once(':').unwrap();
            (name.trim().to_ascii_lowercase(), value.trim().to_owned())
        })
        .collect();
    let header = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    };
    let authorized = header("proxy-authorization") == Some(expected.as_str());
    let mut parts = request_line.split(' ');
    let (method, target) = (parts.next().unwrap(), parts.next().unwrap());
    log.lock().unwrap().push(Proxied {
        request_line: format!("{method} {target}"),
        authorized,
    });
    if !authorized {
        let _ = client
            .write_all(
                b"HTTP/1.1 407 Proxy Authentication Required\r\n\
                  Proxy-Authenticate: Basic realm=\"test\"\r\n\
                  Content-Length: 0\r\nConnection: close\r\n\r\n",
            )
            .await;
        return;
    }
    // The body: what came with the head, then the rest of Content-Length.
    let length: usize = header("content-length").map_or(0, |v| v.parse().unwrap());
    let mut body = buf[head_end..].to_vec();
    while body.len() < length {
        let mut chunk = [0u8; 4096];
        match client.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => body.extend_from_slice(&chunk[..n]),
        }
    }

    // Forward in origin form, without the proxy's headers, one request per
    // connection.
    let url = okta_auth::url::Url::parse(target).expect("an absolute-form request");
    let path = match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_owned(),
    };
    let mut upstream = TcpStream::connect((url.host_str().unwrap(), url.port().unwrap()))
        .await
        .unwrap();
    let mut out = format!("{method} {path} HTTP/1.1\r\n");
    for (name, value) in &headers {
        if !matches!(
            name.as_str(),
            "proxy-authorization" | "proxy-connection" | "connection"
        ) {
            out.push_str(&format!("{name}: {value}\r\n"));
        }
    }
    out.push_str("connection: close\r\n\r\n");
    upstream.write_all(out.as_bytes()).await.unwrap();
    upstream.write_all(&body).await.unwrap();
    let mut response = Vec::new();
    let _ = upstream.read_to_end(&mut response).await;
    let _ = client.write_all(&response).await;
    let _ = client.shutdown().await;
}
