//! Health probes against real servers on 127.0.0.1: every way a service can be up,
//! degraded or down, and the reason the presenter reads.

mod probe_common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use cuedeck_core::probe::{http_client, probe_service, wait_until_up, Health, ServiceStatus};
use cuedeck_core::runbook::{JsonExpectation, ServiceProbe};
use probe_common::*;
use serde_json::json;
use tokio::io::AsyncWriteExt;

async fn probe(p: &ServiceProbe) -> ServiceStatus {
    let client = http_client().expect("client");
    probe_service(&client, p).await
}

fn url(addr: std::net::SocketAddr, path: &str) -> String {
    format!("http://{addr}{path}")
}

#[tokio::test]
async fn up_when_the_expected_status_comes_quickly() {
    let addr = serve(Router::new().route("/health", get(|| async { "ok" }))).await;
    let s = probe(&service("api", url(addr, "/health"))).await;
    assert_eq!(s.health, Health::Up, "{s:?}");
    assert_eq!(s.http_status, Some(200));
    assert_eq!(s.error, None);
    assert!(s.latency_ms.is_some());
    assert_eq!(s.service, "api");
}

#[tokio::test]
async fn down_when_refused() {
    let addr = closed_port().await;
    let s = probe(&service("api", url(addr, "/health"))).await;
    assert_eq!(s.health, Health::Down);
    assert_eq!(s.error.as_deref(), Some("connection refused"));
    assert_eq!((s.http_status, s.latency_ms), (None, None));
}

#[tokio::test]
async fn down_on_an_unexpected_status() {
    let router = Router::new().route(
        "/health",
        get(|| async { (StatusCode::INTERNAL_SERVER_ERROR, "boom") }),
    );
    let addr = serve(router).await;
    let s = probe(&service("api", url(addr, "/health"))).await;
    assert_eq!(s.health, Health::Down);
    assert_eq!(s.http_status, Some(500));
    assert_eq!(s.error.as_deref(), Some("status 500, expected 200"));
    assert!(s.latency_ms.is_some());
}

#[tokio::test]
async fn down_when_slower_than_the_timeout() {
    let slow = || async {
        tokio::time::sleep(Duration::from_secs(5)).await;
        "late"
    };
    let addr = serve(Router::new().route("/health", get(slow))).await;
    let mut p = service("api", url(addr, "/health"));
    p.timeout_ms = 300;
    let started = Instant::now();
    let s = probe(&p).await;
    assert_eq!(s.health, Health::Down);
    assert_eq!(s.error.as_deref(), Some("timed out after 0.3 s"));
    assert!(started.elapsed() < Duration::from_millis(800), "bounded");
}

#[tokio::test]
async fn down_when_accepted_but_never_answered() {
    let addr = serve_hung().await;
    let mut p = service("api", url(addr, "/health"));
    p.timeout_ms = 400;
    let started = Instant::now();
    let s = probe(&p).await;
    assert_eq!(s.health, Health::Down);
    assert_eq!(s.error.as_deref(), Some("timed out after 0.4 s"));
    assert!(started.elapsed() < Duration::from_millis(900), "bounded");
}

#[tokio::test]
async fn down_when_the_answer_is_not_http() {
    let addr = serve_garbage().await;
    let s = probe(&service("api", url(addr, "/health"))).await;
    assert_eq!(s.health, Health::Down);
    assert_eq!(s.error.as_deref(), Some("not an HTTP response"));
}

#[tokio::test]
async fn down_when_the_reply_is_not_http() {
    let addr = serve_garbage_reply().await;
    let s = probe(&service("api", url(addr, "/health"))).await;
    assert_eq!(s.health, Health::Down);
    assert_eq!(s.error.as_deref(), Some("not an HTTP response"));
}

#[tokio::test]
async fn down_when_closed_without_an_answer() {
    let addr = serve_raw(|mut stream| async move {
        let _ = stream.shutdown().await;
    })
    .await;
    let s = probe(&service("api", url(addr, "/health"))).await;
    assert_eq!(s.health, Health::Down);
    assert_eq!(
        s.error.as_deref(),
        Some("connection closed without a response")
    );
}

#[tokio::test]
async fn degraded_when_slow_but_within_the_timeout() {
    let slow = || async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        "ok"
    };
    let addr = serve(Router::new().route("/health", get(slow))).await;
    let mut p = service("api", url(addr, "/health"));
    (p.slow_ms, p.timeout_ms) = (100, 2000);
    let s = probe(&p).await;
    assert_eq!(s.health, Health::Degraded, "{s:?}");
    assert!(
        s.error.as_deref().unwrap_or("").starts_with("slow: "),
        "{s:?}"
    );
    assert!(s.latency_ms.unwrap_or(0.0) >= 300.0);
}

async fn json_service() -> std::net::SocketAddr {
    let body = || async { Json(json!({"status": "ok", "checks": {"db": [{"state": "up"}]}})) };
    let router = Router::new()
        .route("/health", get(body))
        .route("/text", get(|| async { "all good" }));
    serve(router).await
}

fn expecting(url: String, field: &str, value: serde_json::Value) -> ServiceProbe {
    let mut p = service("api", url);
    p.expect_json = Some(JsonExpectation {
        field: field.into(),
        value,
    });
    p
}

#[tokio::test]
async fn json_field_that_matches_is_up() {
    let addr = json_service().await;
    let s = probe(&expecting(url(addr, "/health"), "status", json!("ok"))).await;
    assert_eq!((s.health, s.error), (Health::Up, None));
    let s = probe(&expecting(
        url(addr, "/health"),
        "checks.db.0.state",
        json!("up"),
    ))
    .await;
    assert_eq!((s.health, s.error), (Health::Up, None));
}

#[tokio::test]
async fn json_field_that_differs_is_degraded() {
    let addr = json_service().await;
    let s = probe(&expecting(url(addr, "/health"), "status", json!("fail"))).await;
    assert_eq!(s.health, Health::Degraded);
    assert_eq!(
        s.error.as_deref(),
        Some("field `status` is \"ok\", expected \"fail\"")
    );
}

#[tokio::test]
async fn json_field_that_is_missing_is_degraded() {
    let addr = json_service().await;
    let s = probe(&expecting(
        url(addr, "/health"),
        "checks.cache",
        json!("up"),
    ))
    .await;
    assert_eq!(s.health, Health::Degraded);
    assert_eq!(s.error.as_deref(), Some("field `checks.cache` is missing"));
}

#[tokio::test]
async fn body_not_json_when_a_field_is_expected_is_degraded() {
    let addr = json_service().await;
    let s = probe(&expecting(url(addr, "/text"), "status", json!("ok"))).await;
    assert_eq!(s.health, Health::Degraded);
    assert_eq!(s.error.as_deref(), Some("body is not JSON"));
}

/// A server that answers 200, 503, 200, 503, ...
async fn flapping() -> std::net::SocketAddr {
    let count = Arc::new(AtomicUsize::new(0));
    let answer = move || {
        let n = count.fetch_add(1, Ordering::SeqCst);
        async move {
            if n % 2 == 0 {
                StatusCode::OK
            } else {
                StatusCode::SERVICE_UNAVAILABLE
            }
        }
    };
    serve(Router::new().route("/health", get(answer))).await
}

#[tokio::test]
async fn flapping_service_alternates_up_and_down() {
    let addr = flapping().await;
    let client = http_client().expect("client");
    let p = service("api", url(addr, "/health"));
    let mut seen = Vec::new();
    for _ in 0..6 {
        seen.push(probe_service(&client, &p).await.health);
    }
    use Health::{Down, Up};
    assert_eq!(seen, [Up, Down, Up, Down, Up, Down]);
}

#[tokio::test]
async fn wait_until_up_returns_the_first_up_status() {
    let count = Arc::new(AtomicUsize::new(0));
    let answer = move || {
        let n = count.fetch_add(1, Ordering::SeqCst);
        async move {
            if n < 3 {
                StatusCode::SERVICE_UNAVAILABLE
            } else {
                StatusCode::OK
            }
        }
    };
    let addr = serve(Router::new().route("/health", get(answer))).await;
    let client = http_client().expect("client");
    let mut p = service("api", url(addr, "/health"));
    p.interval_ms = 100;
    let s = wait_until_up(&client, &p, Duration::from_secs(10)).await;
    assert_eq!(s.map(|s| s.health), Ok(Health::Up));
}

#[tokio::test]
async fn wait_until_up_gives_up_with_the_last_status() {
    let addr = closed_port().await;
    let client = http_client().expect("client");
    let p = service("api", url(addr, "/health"));
    let started = Instant::now();
    let last = wait_until_up(&client, &p, Duration::from_millis(500))
        .await
        .expect_err("never up");
    assert_eq!(last.error.as_deref(), Some("connection refused"));
    assert!(started.elapsed() < Duration::from_millis(1500));
}

#[tokio::test]
async fn wait_until_up_is_bounded_even_when_the_probe_hangs() {
    let addr = serve_hung().await;
    let client = http_client().expect("client");
    let mut p = service("api", url(addr, "/health"));
    p.timeout_ms = 10_000;
    let started = Instant::now();
    let last = wait_until_up(&client, &p, Duration::from_millis(300))
        .await
        .expect_err("never up");
    assert_eq!(last.health, Health::Down);
    assert_eq!(last.error.as_deref(), Some("timed out after 0.3 s"));
    assert!(started.elapsed() < Duration::from_millis(1000));
}

/// A server counting the requests it gets on `/health`, answering 200.
async fn counting_service() -> (std::net::SocketAddr, Arc<AtomicUsize>) {
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&hits);
    let router = Router::new().route(
        "/health",
        get(move || {
            counter.fetch_add(1, Ordering::SeqCst);
            async { "ok" }
        }),
    );
    (serve(router).await, hits)
}

/// A server whose `/health` redirects (302) to `to`, and `/moved` answers 200.
async fn redirecting_to(to: String) -> std::net::SocketAddr {
    let router = Router::new()
        .route(
            "/health",
            get(move || {
                let to = to.clone();
                async move { (StatusCode::FOUND, [(axum::http::header::LOCATION, to)]) }
            }),
        )
        .route("/moved", get(|| async { "ok" }));
    serve(router).await
}

#[tokio::test]
async fn a_redirect_on_the_same_host_and_port_is_followed() {
    let addr = redirecting_to("/moved".into()).await;
    let s = probe(&service("api", url(addr, "/health"))).await;
    assert_eq!(s.health, Health::Up, "{s:?}");
}

#[tokio::test]
async fn a_redirect_to_another_host_or_port_is_not_followed() {
    let (elsewhere, hits) = counting_service().await;
    for target in [
        url(elsewhere, "/health"),
        format!("http://localhost:{}/health", elsewhere.port()),
    ] {
        let addr = redirecting_to(target.clone()).await;
        let s = probe(&service("api", url(addr, "/health"))).await;
        assert_eq!(s.health, Health::Down, "{s:?}");
        assert_eq!(
            s.error.as_deref(),
            Some(format!("redirected to {target}, another host: not followed").as_str())
        );
    }
    assert_eq!(
        hits.load(Ordering::SeqCst),
        0,
        "the other server was never asked"
    );
    // The metrics poller shares the client, and the policy.
    let addr = redirecting_to(url(elsewhere, "/health")).await;
    let client = http_client().expect("client");
    let err = cuedeck_core::probe::health::fetch_body(
        &client,
        &url(addr, "/health"),
        Duration::from_secs(2),
    )
    .await
    .expect_err("not followed");
    assert!(err.to_string().contains("another host"), "{err}");
    assert_eq!(hits.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn an_endless_body_is_read_only_up_to_the_cap() {
    use cuedeck_core::probe::health::{fetch_body, MAX_BODY_BYTES};
    // 64 MiB offered in 64 KiB chunks: the poll stops reading at the cap.
    let addr = serve_raw(|mut stream| async move {
        let mut request = [0u8; 1024];
        let _ = tokio::io::AsyncReadExt::read(&mut stream, &mut request).await;
        let head =
            "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 67108864\r\n\r\n";
        if stream.write_all(head.as_bytes()).await.is_err() {
            return;
        }
        let chunk = vec![b'x'; 64 * 1024];
        for _ in 0..1024 {
            if stream.write_all(&chunk).await.is_err() {
                return; // the client stopped reading and closed: expected
            }
        }
    })
    .await;
    let client = http_client().expect("client");
    let body = fetch_body(&client, &url(addr, "/metrics"), Duration::from_secs(5))
        .await
        .expect("a body");
    assert!(body.truncated);
    assert_eq!(body.bytes.len(), MAX_BODY_BYTES);
}

#[test]
fn a_probe_interval_never_goes_below_the_floor() {
    use cuedeck_core::probe::health::{probe_period, MIN_PROBE_PERIOD};
    assert_eq!(MIN_PROBE_PERIOD, Duration::from_millis(250));
    assert_eq!(probe_period(0), MIN_PROBE_PERIOD);
    assert_eq!(probe_period(100), MIN_PROBE_PERIOD);
    assert_eq!(probe_period(1000), Duration::from_secs(1));
}
