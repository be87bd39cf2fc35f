//! Your own API, protected by `AccessTokenVerifier`, called by a service
//! app through `OktaAuth`, in one command:
//!
//! ```sh
//! cargo run --example resource_server
//! ```
//!
//! Everything runs on loopback with no environment: the embedded fake Okta
//! (`okta_auth::testing::MockOkta`) with a custom authorization server
//! `aus1orders` (audience `api://orders`), and a tiny HTTP/1.1 server (plain
//! tokio, no framework) whose one route, `GET /orders`, answers only to a
//! request that `AccessTokenVerifier::verify_request` accepts and otherwise
//! sends the rejection's status and `WWW-Authenticate` as they are.
//!
//! The program makes four calls and prints each verdict:
//!
//! 1. a secret client's Bearer token, through `OktaAuth::origins`: accepted;
//! 2. a private-key service app's DPoP-bound token, with a proof: accepted;
//! 3. that DPoP request's `Authorization` and `DPoP` headers, captured and
//!    sent again (a replayed proof): refused;
//! 4. an expired token (`MockOkta::mint_access_token`): refused.
//!
//! It exits non-zero if any verdict is not the expected one.

use std::sync::{Arc, Mutex};

use okta_auth::http::{HeaderMap, HeaderName, HeaderValue, Method};
use okta_auth::reqwest_middleware::ClientBuilder;
use okta_auth::secrecy::ExposeSecret;
use okta_auth::testing::{AccessTokenClaims, CustomServer, MockOkta, ServiceApp};
use okta_auth::url::Url;
use okta_auth::{AccessTokenVerifier, DpopMode, OktaAuth, ServiceAppSource, SigningKey, reqwest};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

const SERVER: &str = "aus1orders";
const AUDIENCE: &str = "api://orders";
const SECRET_CLIENT: &str = "0oaOrdersReporter";
const SECRET: &str = "reporter-s3cret";
const APP: &str = "0oaOrdersSync";
const SCOPE: &str = "orders.read";
/// The most a request head may take; larger ones get `431`.
const MAX_HEAD: usize = 16 * 1024;

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    // The fake org: a custom authorization server and two clients of it.
    let okta = MockOkta::start().await;
    okta.register_custom_server(CustomServer::new(SERVER).audience(AUDIENCE))?;
    okta.register_secret_client(SERVER, SECRET_CLIENT, SECRET, [SCOPE])?;
    let app_key = SigningKey::generate_p256().with_kid("sync-key");
    okta.register_service_app(
        ServiceApp::new(APP)
            .jwk(app_key.public_jwk())
            .scopes([SCOPE])
            .dpop(true, false),
    )?;

    // The API: one route behind the verifier.
    let verifier = AccessTokenVerifier::builder(okta.issuer(SERVER)?)
        .audience(AUDIENCE)
        .required_scopes([SCOPE])
        .build()?;
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let api: Url = format!("http://{}", listener.local_addr()?).parse()?;
    let seen = Arc::new(Mutex::new(HeaderMap::new()));
    tokio::spawn(serve(listener, api.clone(), verifier, Arc::clone(&seen)));
    let orders = api.join("/orders")?;
    println!(
        "orders API at {orders}, tokens from {}\n",
        okta.issuer(SERVER)?
    );

    let mut wrong = 0;
    // A verdict is as expected when the status is, and the challenge names
    // the expected error (or there is none when `expected` is empty).
    let mut report = |what: &str, resp: &reqwest::Response, status: u16, expected: &str| {
        let challenge = resp
            .headers()
            .get("www-authenticate")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("-");
        let named = if expected.is_empty() {
            challenge == "-"
        } else {
            challenge.contains(expected)
        };
        let ok = resp.status().as_u16() == status && named;
        if !ok {
            wrong += 1;
        }
        println!(
            "{} {what:<28} {}  WWW-Authenticate: {challenge}",
            if ok { "ok  " } else { "FAIL" },
            resp.status()
        );
    };

    // 1. Bearer, through OktaAuth pointed at the API's origin.
    let bearer = ServiceAppSource::builder(okta.org_url(), SECRET_CLIENT)
        .client_secret(SECRET)
        .scopes([SCOPE])
        .authorization_server(SERVER)
        .dpop(DpopMode::Never)
        .build()?;
    let resp = through_okta_auth(&okta, bearer, &api, &orders).await?;
    report("Bearer token", &resp, 200, "");

    // 2. DPoP, the same way: the proof's htu is the plain RFC 3986 URL.
    let dpop = ServiceAppSource::builder(okta.org_url(), APP)
        .private_key(app_key)
        .scopes([SCOPE])
        .authorization_server(SERVER)
        .dpop(DpopMode::Always)
        .build()?;
    let resp = through_okta_auth(&okta, dpop, &api, &orders).await?;
    report("DPoP token and proof", &resp, 200, "");

    // 3. The same Authorization and DPoP headers again, as an attacker who
    //    captured them would send them.
    let captured = seen.lock().unwrap_or_else(|p| p.into_inner()).clone();
    let resp = reqwest::Client::new()
        .get(orders.clone())
        .headers(captured)
        .send()
        .await?;
    report("replayed DPoP proof", &resp, 401, "already used");

    // 4. An expired token.
    let expired =
        okta.mint_access_token(SERVER, AccessTokenClaims::new().expired().scopes([SCOPE]))?;
    let resp = reqwest::Client::new()
        .get(orders.clone())
        .bearer_auth(expired.expose_secret())
        .send()
        .await?;
    report("expired Bearer token", &resp, 401, "expired");

    if wrong > 0 {
        eprintln!("\n{wrong} verdict(s) not as expected");
        std::process::exit(1);
    }
    println!("\nevery verdict as expected");
    Ok(())
}

/// One `GET` of `url` through a client built as `OktaAuth`'s docs say, its
/// tokens meant for `api`'s origin only.
async fn through_okta_auth(
    okta: &MockOkta,
    source: ServiceAppSource,
    api: &Url,
    url: &Url,
) -> Result<reqwest::Response, BoxError> {
    let auth = OktaAuth::new(okta.org_url(), source).origins([api.clone().try_into()?]);
    let http = reqwest::Client::builder()
        .redirect(auth.redirect_policy())
        .build()?;
    let client = ClientBuilder::new(http).with(auth).build();
    Ok(client.get(url.clone()).send().await?)
}

/// Accepts connections for ever, one task each.
async fn serve(
    listener: TcpListener,
    base: Url,
    verifier: AccessTokenVerifier,
    seen: Arc<Mutex<HeaderMap>>,
) {
    while let Ok((stream, _)) = listener.accept().await {
        let (base, verifier, seen) = (base.clone(), verifier.clone(), Arc::clone(&seen));
        tokio::spawn(async move {
            if let Err(e) = answer(stream, &base, &verifier, &seen).await {
                eprintln!("connection failed: {e}");
            }
        });
    }
}

/// Reads one request head, answers it, closes the connection.
async fn answer(
    mut stream: TcpStream,
    base: &Url,
    verifier: &AccessTokenVerifier,
    seen: &Mutex<HeaderMap>,
) -> Result<(), BoxError> {
    let Some(head) = read_head(&mut stream).await? else {
        return respond(&mut stream, 431, &HeaderMap::new(), "").await;
    };
    let Some((method, path, headers)) = parse_head(&head) else {
        return respond(&mut stream, 400, &HeaderMap::new(), "").await;
    };
    if path.split('?').next() != Some("/orders") {
        return respond(&mut stream, 404, &HeaderMap::new(), "").await;
    }
    // The URL as the client called it: our origin and the request target.
    let url = base.join(&path)?;
    *seen.lock().unwrap_or_else(|p| p.into_inner()) = credentials(&headers);
    match verifier.verify_request(&method, &url, &headers).await {
        Ok(claims) => {
            let body = format!("orders for {}\n", claims.cid().unwrap_or("?"));
            respond(&mut stream, 200, &HeaderMap::new(), &body).await
        }
        Err(rejection) => {
            let status = rejection.status().as_u16();
            respond(&mut stream, status, &rejection.headers(), "").await
        }
    }
}

/// The request head up to the blank line; `None` past [`MAX_HEAD`].
async fn read_head(stream: &mut TcpStream) -> Result<Option<String>, BoxError> {
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.ends_with(b"\r\n\r\n") {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            return Err("connection closed mid-request".into());
        }
        head.extend_from_slice(&buf[..n]);
        if head.len() > MAX_HEAD {
            return Ok(None);
        }
    }
    Ok(Some(String::from_utf8(head)?))
}

/// The method, request target and headers of a request head.
fn parse_head(head: &str) -> Option<(Method, String, HeaderMap)> {
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next()?.split(' ');
    let method = Method::from_bytes(request_line.next()?.as_bytes()).ok()?;
    let target = request_line.next()?.to_owned();
    if !target.starts_with('/') {
        return None;
    }
    let mut headers = HeaderMap::new();
    for line in lines.take_while(|l| !l.is_empty()) {
        let (name, value) = line.split_once(':')?;
        headers.append(
            HeaderName::from_bytes(name.trim().as_bytes()).ok()?,
            HeaderValue::from_str(value.trim()).ok()?,
        );
    }
    Some((method, target, headers))
}

/// `Authorization` and `DPoP` of a request, for the replay.
fn credentials(headers: &HeaderMap) -> HeaderMap {
    let mut out = HeaderMap::new();
    for name in ["authorization", "dpop"] {
        for value in headers.get_all(name) {
            out.append(name, value.clone());
        }
    }
    out
}

async fn respond(
    stream: &mut TcpStream,
    status: u16,
    headers: &HeaderMap,
    body: &str,
) -> Result<(), BoxError> {
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        404 => "Not Found",
        431 => "Request Header Fields Too Large",
        _ => "",
    };
    let mut out = format!("HTTP/1.1 {status} {reason}\r\n");
    for (name, value) in headers {
        out.push_str(&format!("{name}: {}\r\n", value.to_str()?));
    }
    out.push_str(&format!(
        "content-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    ));
    stream.write_all(out.as_bytes()).await?;
    Ok(stream.shutdown().await?)
}
