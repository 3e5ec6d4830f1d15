//! `cuedeck demo-service`: a small HTTP service for our own runbooks to demo, so a
//! fresh machine shows lights turning red and green and charts moving.
//!
//! - `GET /health`: `{"status":"ok"}` (503 `{"status":"failing"}` under an error fault)
//! - `GET /work[?ms=N]`: simulated work; counted, timed, fails at the error rate
//! - `GET /metrics`: Prometheus text (requests by route and code, a latency
//!   histogram, in-flight requests, active faults, uptime)
//! - `GET /_metrics`: JSON (`requests`, `errors`, `rps`, `p95_ms`, `inFlight`, `fault`)
//! - `GET /admin/fault`: the faults now; `POST /admin/fault?error=0.5&latency=300ms&hang=true`
//!   sets them; `POST /admin/fault/clear` or `DELETE /admin/fault` clears them.
//!
//! Faults apply to `/health` and `/work`; the metrics and admin routes always answer,
//! so the presenter can see and undo what they broke.
//!
//! `/admin/*` refuses (403, and does nothing) a request whose `Origin` header is not
//! the service's own (`http://127.0.0.1:PORT`, `http://localhost:PORT`): a browser
//! sends `Origin` with every cross-site POST or DELETE, so a web page open while
//! the demo runs cannot inject faults. Tools like curl send no `Origin`.

mod faults;
mod stats;

use std::future::Future;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::extract::{Query, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::json;
use tokio::sync::watch;

pub use faults::{ErrorPacer, FaultQuery, Faults};
pub use stats::{Stats, Summary, BUCKETS};

/// The port `cuedeck demo-service` listens on unless told otherwise.
pub const DEFAULT_PORT: u16 = 7878;

/// How long a shutdown waits for requests in flight (a hung one never ends).
const SHUTDOWN_GRACE: Duration = Duration::from_secs(1);

/// The service's shared state.
struct Service {
    started: Instant,
    stats: Mutex<Stats>,
    faults: watch::Sender<Faults>,
    pacer: Mutex<ErrorPacer>,
    in_flight: AtomicI64,
    /// Numbers `/work` requests, to spread their simulated work time.
    work_seq: AtomicU64,
}

type Shared = Arc<Service>;

impl Service {
    fn stats(&self) -> MutexGuard<'_, Stats> {
        self.stats.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn faults(&self) -> Faults {
        self.faults.borrow().clone()
    }

    /// Applies the faults to one `/health` or `/work` request: holds it while hung,
    /// delays it, then says whether it fails.
    async fn suffer_faults(&self) -> bool {
        let mut changes = self.faults.subscribe();
        loop {
            let hung = changes.borrow_and_update().hang;
            if !hung {
                break;
            }
            if changes.changed().await.is_err() {
                break;
            }
        }
        let faults = self.faults();
        if !faults.latency.is_zero() {
            tokio::time::sleep(faults.latency).await;
        }
        self.pacer
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .should_fail(faults.error_rate)
    }
}

/// Counts a request in flight for as long as it lives (hung ones included).
struct InFlight<'a>(&'a AtomicI64);

impl<'a> InFlight<'a> {
    fn enter(counter: &'a AtomicI64) -> Self {
        counter.fetch_add(1, Ordering::SeqCst);
        Self(counter)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The service's routes, for [`serve`] and for tests; `port` is the one it listens
/// on (the admin routes accept only its own origin).
pub fn router(port: u16) -> Router {
    let (faults, _) = watch::channel(Faults::default());
    let service = Arc::new(Service {
        started: Instant::now(),
        stats: Mutex::default(),
        faults,
        pacer: Mutex::default(),
        in_flight: AtomicI64::new(0),
        work_seq: AtomicU64::new(0),
    });
    let admin = Router::new()
        .route(
            "/admin/fault",
            get(show_faults).post(set_faults).delete(clear_faults),
        )
        .route("/admin/fault/clear", post(clear_faults))
        // A route layer: runs before the handler, only for these routes.
        .route_layer(middleware::from_fn_with_state(port, own_origin_only));
    Router::new()
        .route("/health", get(health))
        .route("/work", get(work))
        .route("/metrics", get(metrics))
        .route("/_metrics", get(metrics_json))
        .merge(admin)
        .with_state(service)
}

/// Whether a request may reach the admin routes of the service on `port`: it has no
/// `Origin` (not sent by a web page), or its own.
pub fn origin_allowed(headers: &HeaderMap, port: u16) -> bool {
    let mut origins = headers.get_all(header::ORIGIN).iter();
    let Some(origin) = origins.next() else {
        return true;
    };
    if origins.next().is_some() {
        return false;
    }
    let Ok(origin) = origin.to_str() else {
        return false;
    };
    ["127.0.0.1", "localhost", "[::1]"]
        .iter()
        .any(|host| origin.eq_ignore_ascii_case(&format!("http://{host}:{port}")))
}

async fn own_origin_only(State(port): State<u16>, request: Request, next: Next) -> Response {
    if origin_allowed(request.headers(), port) {
        return next.run(request).await;
    }
    let origin = request
        .headers()
        .get(header::ORIGIN)
        .map(|o| String::from_utf8_lossy(o.as_bytes()).into_owned())
        .unwrap_or_default();
    tracing::warn!(%origin, path = %request.uri().path(), "admin request from another origin refused");
    eprintln!(
        "demo-service: refused {} {} from origin {origin:?} (not this service's own)",
        request.method(),
        request.uri().path()
    );
    (
        StatusCode::FORBIDDEN,
        Json(json!({
            "error": format!("origin {origin:?} may not use /admin (only http://127.0.0.1:{port} or http://localhost:{port})")
        })),
    )
        .into_response()
}

/// Serves on `listener` until `shutdown` completes; requests still in flight then
/// get [`SHUTDOWN_GRACE`] to finish (hung ones are dropped).
pub async fn serve(
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let stop = Arc::new(tokio::sync::Notify::new());
    let graceful = {
        let stop = Arc::clone(&stop);
        async move { stop.notified().await }
    };
    let port = listener.local_addr()?.port();
    let server = axum::serve(listener, router(port)).with_graceful_shutdown(graceful);
    tokio::select! {
        served = server => served,
        () = async {
            shutdown.await;
            stop.notify_one();
            tokio::time::sleep(SHUTDOWN_GRACE).await;
        } => Ok(()),
    }
}

async fn health(State(s): State<Shared>) -> Response {
    let _in_flight = InFlight::enter(&s.in_flight);
    let started = Instant::now();
    let fails = s.suffer_faults().await;
    let (code, body) = if fails {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            json!({ "status": "failing" }),
        )
    } else {
        let uptime = s.started.elapsed().as_secs_f64();
        (
            StatusCode::OK,
            json!({ "status": "ok", "uptimeSeconds": (uptime * 10.0).round() / 10.0 }),
        )
    };
    s.stats()
        .record("/health", code.as_u16(), started.elapsed(), Instant::now());
    (code, Json(body)).into_response()
}

#[derive(Debug, serde::Deserialize)]
struct WorkQuery {
    ms: Option<u64>,
}

async fn work(State(s): State<Shared>, Query(q): Query<WorkQuery>) -> Response {
    let _in_flight = InFlight::enter(&s.in_flight);
    let started = Instant::now();
    let seq = s.work_seq.fetch_add(1, Ordering::Relaxed);
    // 4–40 ms of "work", spread evenly but without randomness (a fixed stride).
    let ms = q.ms.unwrap_or(4 + (seq * 7919) % 37).min(30_000);
    tokio::time::sleep(Duration::from_millis(ms)).await;
    let fails = s.suffer_faults().await;
    let code = if fails {
        StatusCode::SERVICE_UNAVAILABLE
    } else {
        StatusCode::OK
    };
    let took = started.elapsed();
    s.stats()
        .record("/work", code.as_u16(), took, Instant::now());
    let body = json!({
        "ok": !fails,
        "workedMs": ms,
        "tookMs": (took.as_secs_f64() * 10_000.0).round() / 10.0,
    });
    (code, Json(body)).into_response()
}

async fn metrics(State(s): State<Shared>) -> Response {
    let in_flight = s.in_flight.load(Ordering::SeqCst);
    let text = s
        .stats()
        .prometheus(s.started.elapsed(), in_flight, &s.faults());
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        text,
    )
        .into_response()
}

async fn metrics_json(State(s): State<Shared>) -> Json<Summary> {
    let in_flight = s.in_flight.load(Ordering::SeqCst);
    let faults = s.faults();
    let summary = s
        .stats()
        .summary(Instant::now(), s.started, in_flight, faults);
    Json(summary)
}

async fn show_faults(State(s): State<Shared>) -> Json<Faults> {
    Json(s.faults())
}

async fn set_faults(State(s): State<Shared>, Query(q): Query<FaultQuery>) -> Response {
    let mut faults = s.faults();
    if let Err(message) = q.apply(&mut faults) {
        return (StatusCode::BAD_REQUEST, Json(json!({ "error": message }))).into_response();
    }
    tracing::info!(?faults, "fault injected");
    eprintln!("demo-service: faults now {}", describe(&faults));
    s.faults.send_replace(faults.clone());
    Json(faults).into_response()
}

async fn clear_faults(State(s): State<Shared>) -> Json<Faults> {
    s.faults.send_replace(Faults::default());
    eprintln!("demo-service: faults cleared");
    Json(Faults::default())
}

/// "error 50 %, latency 300 ms, hang" for the service's own log.
fn describe(f: &Faults) -> String {
    if f.is_clear() {
        return "none".into();
    }
    let mut parts = Vec::new();
    if f.error_rate > 0.0 {
        parts.push(format!("error {:.0} %", f.error_rate * 100.0));
    }
    if !f.latency.is_zero() {
        parts.push(format!("latency {} ms", f.latency.as_millis()));
    }
    if f.hang {
        parts.push("hang".into());
    }
    parts.join(", ")
}
