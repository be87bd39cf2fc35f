//! Why a transport error happened, in our words.

/// Why a reqwest error happened, in a short fixed phrase chosen from its
/// kind and the first [`std::io::Error`] in its source chain: never the
/// text of the chain, which may quote a host, a proxy's answer or a URL.
pub(super) struct TransportCause<'a>(pub(super) &'a reqwest::Error);

impl std::fmt::Display for TransportCause<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let e = self.0;
        let io = io_kind(e).and_then(|kind| io_phrase(kind, e.is_connect()));
        let cause = if e.is_builder() {
            "the http client could not be built"
        } else if e.is_dns() {
            "dns lookup failed"
        } else if e.is_timeout() {
            "timed out"
        } else if let Some(phrase) = io {
            phrase
        } else if e.is_connect() {
            // Neither dns nor tcp (those carry an io error): native-tls's
            // handshake errors, or a proxy refusing the tunnel.
            "tls handshake or proxy tunnel failed"
        } else if e.is_body() || e.is_decode() {
            "the response body could not be read"
        } else if e.is_redirect() {
            "a redirect could not be followed"
        } else if e.is_request() {
            // hyper: the connection closed before a response, or the
            // answer was not http.
            "no complete http response"
        } else {
            "the http exchange failed"
        };
        f.write_str(cause)?;
        // Only after an io phrase: the others say where already.
        if io.is_some() && (e.is_body() || e.is_decode()) {
            f.write_str(" while reading the response body")?;
        }
        Ok(())
    }
}

/// The kind of the first [`std::io::Error`] in `e`'s source chain.
fn io_kind(e: &reqwest::Error) -> Option<std::io::ErrorKind> {
    let mut source = std::error::Error::source(e);
    while let Some(err) = source {
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            return Some(io.kind());
        }
        source = err.source();
    }
    None
}

/// Our words for an io error kind; `connect` says whether it happened while
/// connecting (where rustls reports a failed handshake as `InvalidData`).
pub(super) fn io_phrase(kind: std::io::ErrorKind, connect: bool) -> Option<&'static str> {
    use std::io::ErrorKind as K;
    Some(match kind {
        K::ConnectionRefused => "connection refused",
        K::ConnectionReset => "connection reset",
        K::ConnectionAborted => "connection aborted",
        K::BrokenPipe | K::NotConnected => "connection closed",
        K::UnexpectedEof => "connection closed early",
        K::HostUnreachable => "host unreachable",
        K::NetworkUnreachable => "network unreachable",
        K::NetworkDown => "network down",
        K::AddrNotAvailable => "local address not available",
        K::PermissionDenied => "connection not permitted",
        K::TimedOut => "timed out",
        K::InvalidData if connect => "tls handshake failed",
        _ => return None,
    })
}
