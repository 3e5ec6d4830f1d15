//! One health probe of one service: a GET bounded as a whole by the probe's timeout,
//! classified as up, degraded or down with a short reason the presenter can read.
//!
//! Down: refused, timed out, closed early, not HTTP, unexpected status.
//! Degraded: the expected status, but slower than `slow_ms`, or the JSON field the
//! runbook expects is missing or different (or the body is not JSON).

use std::time::{Duration, Instant};

use reqwest::{Client, Response};
use serde_json::Value;

use crate::probe::events::{now_ms, Health, ServiceStatus};
use crate::runbook::{JsonExpectation, ServiceProbe};
use crate::shorten;

/// The most of a body a probe or a metrics poll reads; the rest is ignored.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// Redirects followed before a probe gives up (a health URL rarely needs more).
const MAX_REDIRECTS: usize = 3;

/// How long an idle pooled connection is kept: longer than any sensible probe interval,
/// so a service probed every few seconds reuses its connection.
const POOL_IDLE: Duration = Duration::from_secs(30);

/// Idle connections kept per host. Demo services are a handful of ports each probed by
/// one task, so a few per host is plenty; more would only hold sockets open.
const POOL_PER_HOST: usize = 8;

/// Why the shared HTTP client could not be built.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("cannot build the HTTP client: {0}")]
    Build(#[from] reqwest::Error),
}

/// Why a request got no usable answer. The messages are what the presenter sees.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    #[error("connection refused")]
    Refused,
    #[error("timed out after {:.1} s", .0.as_secs_f64())]
    TimedOut(Duration),
    #[error("not an HTTP response")]
    NotHttp,
    #[error("connection closed without a response")]
    Closed,
    #[error("too many redirects")]
    TooManyRedirects,
    #[error("redirected to {0}, another host: not followed")]
    OffHostRedirect(String),
    #[error("invalid URL: {0}")]
    InvalidUrl(String),
    #[error("status {0}")]
    Status(u16),
    #[error("{0}")]
    Other(String),
}

impl FetchError {
    /// Names the cause of a reqwest error by walking its source chain: the io and
    /// hyper errors at the bottom say more than reqwest's own wrapper.
    pub fn from_reqwest(err: &reqwest::Error) -> Self {
        if err.is_builder() {
            return Self::InvalidUrl(err.to_string());
        }
        if err.is_redirect() {
            let mut source = std::error::Error::source(err);
            while let Some(e) = source {
                if let Some(off) = e.downcast_ref::<OffHost>() {
                    return Self::OffHostRedirect(off.0.clone());
                }
                source = e.source();
            }
            return Self::TooManyRedirects;
        }
        let mut source: Option<&(dyn std::error::Error + 'static)> = Some(err);
        let mut root = err.to_string();
        while let Some(e) = source {
            if let Some(found) = Self::from_cause(e) {
                return found;
            }
            root = e.to_string();
            source = e.source();
        }
        Self::Other(root)
    }

    fn from_cause(e: &(dyn std::error::Error + 'static)) -> Option<Self> {
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            use std::io::ErrorKind as K;
            return match io.kind() {
                K::ConnectionRefused => Some(Self::Refused),
                K::ConnectionReset | K::ConnectionAborted | K::BrokenPipe | K::UnexpectedEof => {
                    Some(Self::Closed)
                }
                _ => None,
            };
        }
        let hyper = e.downcast_ref::<hyper::Error>()?;
        if hyper.is_parse() || hyper.is_parse_status() || spoke_first(hyper) {
            Some(Self::NotHttp)
        } else if hyper.is_incomplete_message() {
            Some(Self::Closed)
        } else {
            None
        }
    }
}

/// Bytes arrived before the request was sent: a server that talks first (SSH, a
/// database, a banner). hyper has no predicate for this kind, only its message.
fn spoke_first(e: &hyper::Error) -> bool {
    e.to_string() == "received unexpected message from connection"
}

/// A redirect the policy refused: it led to another host (or port).
#[derive(Debug, thiserror::Error)]
#[error("redirected to {0}, another host")]
struct OffHost(String);

/// Follows at most [`MAX_REDIRECTS`] redirects, and only to the host and port the
/// runbook named: a probe of a local service never ends up talking to another
/// machine (or another local service) because it was told to go there.
fn redirect_policy() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        let Some(first) = attempt.previous().first() else {
            // reqwest always lists the request's own URL first; without it there
            // is nothing to compare with, so do not follow.
            return attempt.stop();
        };
        if !same_host(first, attempt.url()) {
            let to = attempt.url().to_string();
            return attempt.error(OffHost(to));
        }
        if attempt.previous().len() > MAX_REDIRECTS {
            return attempt.error("too many redirects");
        }
        attempt.follow()
    })
}

/// Same host (names compared as the URL parser normalised them) and same port.
pub fn same_host(a: &reqwest::Url, b: &reqwest::Url) -> bool {
    a.host_str() == b.host_str() && a.port_or_known_default() == b.port_or_known_default()
}

/// What [`http_client`] makes, named for the app, which keeps one without depending on
/// reqwest itself.
pub type HttpClient = Client;

/// The client every probe and metrics poll shares (one connection pool). Services are
/// local, so proxies from the environment are ignored; redirects are followed a few
/// times, to the same host only. Timeouts are not set here: each request is bounded
/// by its own. Bodies are read through [`read_capped`].
pub fn http_client() -> Result<Client, ClientError> {
    let client = Client::builder()
        .no_proxy()
        .redirect(redirect_policy())
        .pool_idle_timeout(POOL_IDLE)
        .pool_max_idle_per_host(POOL_PER_HOST)
        .tcp_nodelay(true)
        .user_agent(concat!("cuedeck-probe/", env!("CARGO_PKG_VERSION")))
        .build()?;
    Ok(client)
}

/// Runs `work` with a fresh client on a runtime of its own, from a thread that may
/// block (the CLI, a rehearsal, the app's blocking workers): pre-flight and readiness
/// gates probe this way outside the monitor.
pub fn block_on_with_client<T, F, Fut>(work: F) -> std::io::Result<T>
where
    F: FnOnce(Client) -> Fut,
    Fut: std::future::Future<Output = T>,
{
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let client = http_client().map_err(std::io::Error::other)?;
        Ok(work(client).await)
    })
}

/// A body as read, at most [`MAX_BODY_BYTES`] of it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Body {
    pub bytes: Vec<u8>,
    /// The server sent more than was read.
    pub truncated: bool,
}

/// Reads a response's body up to `cap` bytes, then stops (the rest is never read).
pub async fn read_capped(response: &mut Response, cap: usize) -> Result<Body, FetchError> {
    let mut body = Body::default();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| FetchError::from_reqwest(&e))?
    {
        let room = cap.saturating_sub(body.bytes.len());
        if chunk.len() > room {
            body.bytes.extend_from_slice(&chunk[..room]);
            body.truncated = true;
            break;
        }
        body.bytes.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// GETs `url` and reads its body (capped) when the status is a success, all within
/// `timeout`. The metrics poller's fetch; a non-2xx status is an error.
pub async fn fetch_body(client: &Client, url: &str, timeout: Duration) -> Result<Body, FetchError> {
    let get = async {
        let mut response = client
            .get(url)
            .send()
            .await
            .map_err(|e| FetchError::from_reqwest(&e))?;
        let status = response.status();
        if !status.is_success() {
            return Err(FetchError::Status(status.as_u16()));
        }
        read_capped(&mut response, MAX_BODY_BYTES).await
    };
    tokio::time::timeout(timeout, get)
        .await
        .unwrap_or(Err(FetchError::TimedOut(timeout)))
}

/// What a service answered before classification.
struct Answer {
    status: u16,
    /// Read only when the status is the expected one (otherwise it does not matter).
    body: Option<Body>,
    latency: Duration,
}

/// Probes a service once. Never takes longer than `probe.timeout_ms` (plus scheduling).
pub async fn probe_service(client: &Client, probe: &ServiceProbe) -> ServiceStatus {
    let at = now_ms();
    let limit = Duration::from_millis(probe.timeout_ms);
    let answer = tokio::time::timeout(limit, exchange(client, probe))
        .await
        .unwrap_or(Err(FetchError::TimedOut(limit)));
    let mut status = ServiceStatus {
        service: probe.name.clone(),
        url: probe.url.clone(),
        health: Health::Down,
        at,
        latency_ms: None,
        http_status: None,
        error: None,
    };
    match answer {
        Err(err) => status.error = Some(err.to_string()),
        Ok(answer) => {
            let (health, error) = classify(probe, &answer);
            status.health = health;
            status.error = error;
            status.http_status = Some(answer.status);
            status.latency_ms = Some(answer.latency.as_secs_f64() * 1000.0);
        }
    }
    tracing::trace!(service = %status.service, health = ?status.health, error = ?status.error, "probed");
    status
}

async fn exchange(client: &Client, probe: &ServiceProbe) -> Result<Answer, FetchError> {
    let started = Instant::now();
    let mut response = client
        .get(&probe.url)
        .send()
        .await
        .map_err(|e| FetchError::from_reqwest(&e))?;
    let status = response.status().as_u16();
    // The whole body (capped) is read when it counts, so latency is time to the full
    // response and the connection goes back to the pool.
    let body = if status == probe.expect_status {
        Some(read_capped(&mut response, MAX_BODY_BYTES).await?)
    } else {
        None
    };
    Ok(Answer {
        status,
        body,
        latency: started.elapsed(),
    })
}

/// Health and reason for an answer: status first, then body, then speed.
fn classify(probe: &ServiceProbe, answer: &Answer) -> (Health, Option<String>) {
    if answer.status != probe.expect_status {
        let why = format!("status {}, expected {}", answer.status, probe.expect_status);
        return (Health::Down, Some(why));
    }
    if let (Some(expect), Some(body)) = (&probe.expect_json, &answer.body) {
        if let Err(why) = check_json(body, expect) {
            return (Health::Degraded, Some(why));
        }
    }
    let latency_ms = answer.latency.as_millis();
    if latency_ms > u128::from(probe.slow_ms) {
        let why = format!("slow: {latency_ms} ms, over {} ms", probe.slow_ms);
        return (Health::Degraded, Some(why));
    }
    (Health::Up, None)
}

/// Checks the field the runbook expects in a JSON body.
fn check_json(body: &Body, expect: &JsonExpectation) -> Result<(), String> {
    if body.truncated {
        return Err(format!(
            "body over {} KiB, field `{}` not checked",
            MAX_BODY_BYTES / 1024,
            expect.field
        ));
    }
    let value: Value =
        serde_json::from_slice(&body.bytes).map_err(|_| "body is not JSON".to_string())?;
    match json_path(&value, &expect.field) {
        None => Err(format!("field `{}` is missing", expect.field)),
        Some(found) if json_eq(found, &expect.value) => Ok(()),
        Some(found) => Err(format!(
            "field `{}` is {}, expected {}",
            expect.field,
            shorten(&found.to_string()),
            shorten(&expect.value.to_string())
        )),
    }
}

/// The value at a dotted path: object keys, and array indices as numbers (`items.0.ok`).
pub fn json_path<'a>(value: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(value, |v, key| match v {
        Value::Object(map) => map.get(key),
        Value::Array(items) => key.parse::<usize>().ok().and_then(|i| items.get(i)),
        _ => None,
    })
}

/// Equality where `1` and `1.0` are the same number (YAML and services disagree).
fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        _ => a == b,
    }
}

/// Probes `probe` at its interval until it is up, or `timeout` passes: readiness
/// gating before a step that needs the service. `Ok` holds the first up status; `Err`
/// the last one seen (down or degraded), or a timed-out status if none finished.
pub async fn wait_until_up(
    client: &Client,
    probe: &ServiceProbe,
    timeout: Duration,
) -> Result<ServiceStatus, ServiceStatus> {
    let deadline = tokio::time::Instant::now() + timeout;
    let mut ticker = tokio::time::interval(probe_period(probe.interval_ms));
    // Delay: after a slow probe, wait a full interval before the next one rather than
    // firing at once; readiness polling has no schedule to keep.
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last = None;
    loop {
        let tick = tokio::time::timeout_at(deadline, ticker.tick()).await;
        if tick.is_err() {
            break;
        }
        match tokio::time::timeout_at(deadline, probe_service(client, probe)).await {
            Ok(status) if status.health == Health::Up => return Ok(status),
            Ok(status) => last = Some(status),
            Err(_) => break,
        }
    }
    Err(last.unwrap_or_else(|| not_ready(probe, timeout)))
}

fn not_ready(probe: &ServiceProbe, timeout: Duration) -> ServiceStatus {
    ServiceStatus {
        service: probe.name.clone(),
        url: probe.url.clone(),
        health: Health::Down,
        at: now_ms(),
        latency_ms: None,
        http_status: None,
        error: Some(FetchError::TimedOut(timeout).to_string()),
    }
}

/// The shortest period any sampling runs at (the system sampler's floor): guards
/// against `interval: 0` (which would make `tokio::time::interval` panic) and
/// against spinning on a typo.
pub const MIN_PERIOD: Duration = Duration::from_millis(100);

/// The shortest period a health probe or a metrics poll runs at: a runbook opened
/// from anywhere makes at most four requests a second to any one target.
/// `cuedeck check` warns about a shorter `interval:`.
pub const MIN_PROBE_PERIOD: Duration = Duration::from_millis(250);

/// A runbook interval in milliseconds as a period no shorter than
/// [`MIN_PROBE_PERIOD`].
pub fn probe_period(interval_ms: u64) -> Duration {
    Duration::from_millis(interval_ms).max(MIN_PROBE_PERIOD)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn dotted_paths_reach_objects_and_arrays() {
        let v = json!({"a": {"b": [{"c": 1}]}, "status": "ok"});
        assert_eq!(json_path(&v, "status"), Some(&json!("ok")));
        assert_eq!(json_path(&v, "a.b.0.c"), Some(&json!(1)));
        assert_eq!(json_path(&v, "a.b.1.c"), None);
        assert_eq!(json_path(&v, "a.x"), None);
        assert_eq!(json_path(&v, "status.x"), None);
    }

    #[test]
    fn numbers_compare_by_value() {
        assert!(json_eq(&json!(1), &json!(1.0)));
        assert!(!json_eq(&json!("1"), &json!(1)));
    }

    #[test]
    fn long_values_are_shortened() {
        let s = shorten(&"x".repeat(100));
        assert_eq!(s.chars().count(), 60);
    }

    #[test]
    fn timeout_message_has_one_decimal() {
        let e = FetchError::TimedOut(Duration::from_millis(2000));
        assert_eq!(e.to_string(), "timed out after 2.0 s");
    }
}
