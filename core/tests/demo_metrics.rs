//! The demo service's own metrics read by the metrics reader, as the tour charts them:
//! Prometheus request rate and p95 latency, and the JSON document's rps and p95_ms.

use std::time::Duration;

use cuedeck_core::demo_service;
use cuedeck_core::probe::metrics::SourceReader;
use cuedeck_core::probe::MetricPoint;
use cuedeck_core::runbook::{MetricFormat, MetricSource, Origin};

fn source(port: u16, path: &str, format: MetricFormat, series: &[&str]) -> MetricSource {
    MetricSource {
        name: path.into(),
        url: format!("http://127.0.0.1:{port}{path}"),
        format,
        series: series.iter().map(|s| s.to_string()).collect(),
        interval_ms: 1000,
        origin: Origin::Declared,
        line: 1,
    }
}

#[test]
fn the_tour_series_come_out_of_the_demo_service() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let points: Vec<MetricPoint> = runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let port = listener.local_addr().expect("addr").port();
        tokio::spawn(demo_service::serve(listener, std::future::pending()));
        let client = reqwest::Client::builder()
            .no_proxy()
            .build()
            .expect("client");
        let get = |path: String| {
            let client = client.clone();
            async move {
                client
                    .get(path)
                    .send()
                    .await
                    .expect("answered")
                    .text()
                    .await
                    .expect("body")
            }
        };
        let base = format!("http://127.0.0.1:{port}");
        let mut prom = SourceReader::new(&source(
            port,
            "/metrics",
            MetricFormat::Prometheus,
            &[
                "demo_requests_total{route=\"/work\"}",
                "demo_request_duration_seconds:p95",
            ],
        ));
        let mut json = SourceReader::new(&source(
            port,
            "/_metrics",
            MetricFormat::Json,
            &["rps", "p95_ms"],
        ));
        let mut all = Vec::new();
        for poll in 0..3u64 {
            for _ in 0..5 {
                get(format!("{base}/work?ms=20")).await;
            }
            let at = 1_000 * (poll + 1);
            all.extend(
                prom.read(&get(format!("{base}/metrics")).await, at)
                    .expect("prometheus"),
            );
            all.extend(
                json.read(&get(format!("{base}/_metrics")).await, at)
                    .expect("json"),
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        all
    });
    let last = |series: &str| {
        points
            .iter()
            .rev()
            .find(|p| p.series == series)
            .unwrap_or_else(|| panic!("no point for {series}: {points:#?}"))
            .clone()
    };
    // 5 requests per 1 s poll step.
    let rate = last("demo_requests_total{route=\"/work\"}");
    assert_eq!(rate.value, 5.0);
    assert_eq!(rate.unit.as_deref(), Some("per second"));
    let p95 = last("demo_request_duration_seconds:p95");
    assert!(
        (0.01..=0.05).contains(&p95.value),
        "20 ms of work lands in (0.01, 0.05]: {}",
        p95.value
    );
    assert_eq!(p95.unit.as_deref(), Some("s"));
    assert!(last("rps").value > 0.0);
    assert!(last("p95_ms").value >= 20.0);
}
