//! Real servers on 127.0.0.1 for the probe tests (included with `mod`; not a test
//! itself): well-behaved ones with axum, misbehaving ones on a raw TCP listener.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use cuedeck_core::runbook::{MetricFormat, MetricSource, Origin, ServiceProbe};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Serves `router` on a free port until the test's runtime ends.
pub async fn serve(router: Router) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        axum::serve(listener, router).await.expect("serve");
    });
    addr
}

/// Accepts connections and hands each to `answer` (which may never answer).
pub async fn serve_raw<F, Fut>(answer: F) -> SocketAddr
where
    F: Fn(TcpStream) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(answer(stream));
        }
    });
    addr
}

/// Accepts connections and never answers, holding them open.
pub async fn serve_hung() -> SocketAddr {
    let held: Arc<Mutex<Vec<TcpStream>>> = Arc::default();
    serve_raw(move |stream| {
        held.lock().expect("held").push(stream);
        async {}
    })
    .await
}

/// Talks first with bytes that are not HTTP (like an SSH banner), then keeps the
/// connection open.
pub async fn serve_garbage() -> SocketAddr {
    serve_raw(|mut stream| async move {
        let _ = stream.write_all(b"\x00\x01garbage, not HTTP\r\n\r\n").await;
        tokio::time::sleep(Duration::from_secs(30)).await;
    })
    .await
}

/// Reads the request, answers with bytes that are not HTTP, keeps the connection open.
pub async fn serve_garbage_reply() -> SocketAddr {
    serve_raw(|mut stream| async move {
        let mut request = [0u8; 1024];
        let _ = stream.read(&mut request).await;
        let _ = stream.write_all(b"SSH-2.0-OpenSSH_9.6\r\n").await;
        tokio::time::sleep(Duration::from_secs(30)).await;
    })
    .await
}

/// A port nothing listens on: bound, then closed.
pub async fn closed_port() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    listener.local_addr().expect("addr")
}

pub fn service(name: &str, url: String) -> ServiceProbe {
    ServiceProbe {
        name: name.into(),
        url,
        interval_ms: 100,
        timeout_ms: 500,
        slow_ms: 250,
        expect_status: 200,
        expect_json: None,
        origin: Origin::Declared,
        line: 1,
    }
}

pub fn metric_source(name: &str, url: String) -> MetricSource {
    MetricSource {
        name: name.into(),
        url,
        format: MetricFormat::Json,
        series: vec!["rps".into()],
        interval_ms: 100,
        origin: Origin::Declared,
        line: 1,
    }
}
