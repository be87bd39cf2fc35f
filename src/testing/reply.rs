//! Answers: Okta's error documents, the headers on every response, and
//! injected faults.

use std::time::Duration;

use serde_json::{Value, json};
use wiremock::ResponseTemplate;

use super::rate_bucket::Take;
use super::state::{ReceivedRequest, Shared, State, random_id};

/// The `X-Rate-Limit-Limit` the fake org reports: 600 requests a minute,
/// counted over all endpoints and never enforced, unless the management API
/// has real buckets ([`MockOkta::rate_limit`](super::MockOkta::rate_limit)).
pub const RATE_LIMIT: u64 = 600;

/// The length of the body [`Fault::OversizedBody`] sends: 4 MiB.
pub const OVERSIZED_BODY_LEN: usize = 4 * 1024 * 1024;

/// A fault to inject into the next responses of an endpoint, see
/// [`MockOkta::fail_next_token_requests`](super::MockOkta::fail_next_token_requests).
///
/// A faulted request is counted and recorded, but otherwise not processed:
/// it consumes no `jti` and issues no token (except [`Fault::Delay`], which
/// processes the request normally and answers late).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    /// Answer with this status and an error document (OAuth on the token
    /// endpoint: `server_error`, `temporarily_unavailable` for 503,
    /// `invalid_request` below 500; Okta's `E0000009` on the API).
    Status(u16),
    /// Answer `429` with `X-Rate-Limit-Remaining: 0`, `X-Rate-Limit-Reset`
    /// = now + `reset_after` (rounded up to a second) and Okta's `E0000047`
    /// body.
    RateLimited {
        /// How long until the rate-limit window resets.
        reset_after: Duration,
    },
    /// Process the request normally but answer after this delay. The delay
    /// runs on wiremock's own thread, in real time, even when the test's
    /// clock is paused.
    Delay(Duration),
    /// Answer `200` with `Content-Type: application/json` and a truncated
    /// JSON body.
    MalformedBody,
    /// Answer `200` with a JSON body of [`OVERSIZED_BODY_LEN`] bytes.
    OversizedBody,
}

/// A response under construction, with its status kept for the log.
pub(crate) struct Reply {
    pub(crate) status: u16,
    /// Boxed: the template is large, and replies travel in `Err`s.
    template: Box<ResponseTemplate>,
    /// The rate-limit reset to report instead of the window's end.
    reset_override: Option<u64>,
    /// What the request found in its bucket, if the endpoint has one.
    bucket: Option<Take>,
}

impl Reply {
    pub(crate) fn json(status: u16, body: &Value) -> Self {
        Self {
            status,
            template: Box::new(ResponseTemplate::new(status).set_body_raw(
                serde_json::to_vec(body).unwrap_or_default(),
                "application/json",
            )),
            reset_override: None,
            bucket: None,
        }
    }

    /// An answer without a body (`204 No Content`).
    pub(crate) fn empty(status: u16) -> Self {
        Self {
            status,
            template: Box::new(ResponseTemplate::new(status)),
            reset_override: None,
            bucket: None,
        }
    }

    pub(crate) fn header(mut self, name: &str, value: &str) -> Self {
        self.template = Box::new(self.template.insert_header(name, value));
        self
    }

    /// An OAuth 2.0 error document, with the token endpoint's cache headers.
    pub(crate) fn oauth(status: u16, error: &str, description: &str) -> Self {
        Self::json(
            status,
            &json!({ "error": error, "error_description": description }),
        )
        .no_store()
    }

    /// `Cache-Control: no-store` and `Pragma: no-cache`, as on every token
    /// endpoint answer.
    pub(crate) fn no_store(self) -> Self {
        self.header("cache-control", "no-store")
            .header("pragma", "no-cache")
    }

    /// An Okta management API error document.
    pub(crate) fn okta(status: u16, code: &str, summary: &str) -> Self {
        Self::json(
            status,
            &json!({
                "errorCode": code,
                "errorSummary": summary,
                "errorLink": code,
                "errorId": random_id("oae"),
                "errorCauses": [],
            }),
        )
    }

    /// Adds `Date`, `X-Okta-Request-Id` and the rate-limit headers; returns
    /// the request id.
    pub(crate) fn finish(
        self,
        shared: &Shared,
        state: &mut State,
    ) -> (u16, ResponseTemplate, String) {
        let (limit, remaining, reset) = match self.bucket {
            Some(take) => (take.limit, take.remaining, take.reset),
            None => {
                let now = shared.now();
                let window = now - now % 60;
                if state.rate_window.0 != window {
                    state.rate_window = (window, 0);
                }
                state.rate_window.1 += 1;
                let remaining = RATE_LIMIT.saturating_sub(state.rate_window.1);
                (RATE_LIMIT, remaining, window + 60)
            }
        };
        let (remaining, reset) = match self.reset_override {
            Some(reset) => (0, reset),
            None => (remaining, reset),
        };
        let request_id = random_id("mock-req-");
        let template = self
            .template
            .insert_header("date", httpdate::fmt_http_date(shared.system_now()))
            .insert_header("x-okta-request-id", request_id.as_str())
            .insert_header("x-rate-limit-limit", limit.to_string())
            .insert_header("x-rate-limit-remaining", remaining.to_string())
            .insert_header("x-rate-limit-reset", reset.to_string());
        (self.status, template, request_id)
    }
}

/// Answers one request to `endpoint`: the next fault queued for it, else
/// `429` if its rate-limit bucket (management API only) is empty, else what
/// `serve` says (late, for a [`Fault::Delay`]); logs the request with the
/// answer's status and request id.
pub(crate) fn answer(
    shared: &Shared,
    state: &mut State,
    endpoint: Endpoint,
    mut log: ReceivedRequest,
    now: u64,
    serve: impl FnOnce(&mut State) -> Reply,
) -> ResponseTemplate {
    let faults = match endpoint {
        Endpoint::Token => &mut state.token_faults,
        Endpoint::Api => &mut state.api_faults,
        Endpoint::Keys => &mut state.jwks_faults,
    };
    let fault = faults.pop_front();
    let delay = match fault {
        Some(Fault::Delay(d)) => Some(d),
        _ => None,
    };
    let take = match (endpoint, state.buckets.as_mut()) {
        (Endpoint::Api, Some(buckets)) => Some(buckets.take(&log.path, now)),
        _ => None,
    };
    let mut reply = match fault.and_then(|fault| fault_reply(&fault, endpoint, now)) {
        Some(reply) => reply,
        None if take.is_some_and(|take| !take.allowed) => {
            state.rate_limited += 1;
            rate_limited()
        }
        None => serve(state),
    };
    reply.bucket = take;
    let (status, mut template, request_id) = reply.finish(shared, state);
    if let Some(delay) = delay {
        template = template.set_delay(delay);
    }
    log.status = status;
    log.request_id = request_id;
    state.record(log);
    template
}

/// Which kind of endpoint a fault hits: it decides the error document.
#[derive(Clone, Copy)]
pub(crate) enum Endpoint {
    Token,
    Api,
    /// A custom authorization server's JWKS (`/oauth2/{id}/v1/keys`): Okta's
    /// error documents, as on the API.
    Keys,
}

/// The answer for an injected fault; `None` for [`Fault::Delay`], which is
/// applied to the normal answer instead.
pub(crate) fn fault_reply(fault: &Fault, endpoint: Endpoint, now: u64) -> Option<Reply> {
    Some(match fault {
        Fault::Status(status) => match endpoint {
            Endpoint::Token => {
                let error = match status {
                    503 => "temporarily_unavailable",
                    s if *s >= 500 => "server_error",
                    _ => "invalid_request",
                };
                Reply::oauth(*status, error, "Injected fault.")
            }
            Endpoint::Api | Endpoint::Keys => {
                Reply::okta(*status, "E0000009", "Internal Server Error")
            }
        },
        Fault::RateLimited { reset_after } => {
            let secs = reset_after.as_secs() + u64::from(reset_after.subsec_nanos() > 0);
            let mut reply = rate_limited();
            reply.reset_override = Some(now + secs);
            reply
        }
        Fault::Delay(_) => return None,
        Fault::MalformedBody => Reply {
            status: 200,
            template: Box::new(ResponseTemplate::new(200).set_body_raw(
                &b"{\"token_type\":\"Bearer\",\"access_tok"[..],
                "application/json",
            )),
            reset_override: None,
            bucket: None,
        },
        Fault::OversizedBody => {
            let mut body = Vec::with_capacity(OVERSIZED_BODY_LEN);
            body.extend_from_slice(b"{\"padding\":\"");
            body.resize(OVERSIZED_BODY_LEN - 2, b'x');
            body.extend_from_slice(b"\"}");
            Reply {
                status: 200,
                template: Box::new(
                    ResponseTemplate::new(200).set_body_raw(body, "application/json"),
                ),
                reset_override: None,
                bucket: None,
            }
        }
    })
}

/// Okta's `429` document (`E0000047`).
fn rate_limited() -> Reply {
    Reply::okta(
        429,
        "E0000047",
        "API call exceeded rate limit due to too many requests.",
    )
}
