//! Reading metrics as exporters print them: Prometheus text of several kinds
//! (Go client, Kong, node_exporter, OpenMetrics), malformed lines reported with their
//! number, series selection, counters as rates, histogram quantiles, JSON paths.

mod metrics_common;

use std::path::Path;

use cuedeck_core::probe::metrics::{prometheus, MetricsError, SourceReader};
use cuedeck_core::probe::MetricPoint;
use cuedeck_core::runbook::MetricFormat;
use metrics_common::source;

fn fixture(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/metrics")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn value(points: &[MetricPoint], series: &str) -> f64 {
    points
        .iter()
        .find(|p| p.series == series)
        .unwrap_or_else(|| panic!("no point for {series} in {points:?}"))
        .value
}

#[test]
fn go_client_dump_parses_whole() {
    let e = prometheus::parse(&fixture("go_client.prom"));
    assert!(e.problems.is_empty(), "{:?}", e.problems);
    assert_eq!(e.samples.len(), 14);
    let mut r = SourceReader::new(&source(
        MetricFormat::Prometheus,
        &[
            "go_goroutines",
            "go_gc_duration_seconds:p50",
            "process_resident_memory_bytes",
        ],
    ));
    let points = r.read(&fixture("go_client.prom"), 1_000).unwrap();
    assert_eq!(value(&points, "go_goroutines"), 42.0);
    // A summary gives its own quantile.
    assert_eq!(value(&points, "go_gc_duration_seconds:p50"), 5.6291e-05);
    assert_eq!(
        value(&points, "process_resident_memory_bytes"),
        34_078_720.0
    );
}

#[test]
fn kong_selectors_match_label_subsets_and_sum() {
    let body = fixture("kong.prom");
    let mut r = SourceReader::new(&source(
        MetricFormat::Prometheus,
        &[
            "kong_http_requests_total{code=\"429\"}",
            "kong_nginx_connections_total{state=\"active\"}",
            "kong_request_latency_ms{route=\"readings\"}:p95",
        ],
    ));
    let first = r.read(&body, 10_000).unwrap();
    // A counter's first poll has no rate yet; the gauge and the quantile do.
    assert!(first
        .iter()
        .all(|p| !p.series.starts_with("kong_http_requests_total")));
    // The gauge is named `_total` but TYPE says gauge: its value, not a rate.
    assert_eq!(
        value(&first, "kong_nginx_connections_total{state=\"active\"}"),
        3.0
    );
    // p95 of 1607: rank 1526.65 in (50, 100]: 50 + 50 * 126.65 / 180.
    let p95 = value(&first, "kong_request_latency_ms{route=\"readings\"}:p95");
    assert!((p95 - 85.180_555).abs() < 1e-3, "{p95}");

    // 2 s later, 20 more 429s across both routes: 10 per second.
    let later = body
        .replace(
            "code=\"429\",source=\"kong\",consumer=\"\"} 87",
            "code=\"429\",source=\"kong\",consumer=\"\"} 97",
        )
        .replace(
            "code=\"429\",source=\"kong\",consumer=\"\"} 13",
            "code=\"429\",source=\"kong\",consumer=\"\"} 23",
        );
    let second = r.read(&later, 12_000).unwrap();
    let rate = second
        .iter()
        .find(|p| p.series == "kong_http_requests_total{code=\"429\"}")
        .expect("a rate on the second poll");
    assert_eq!(rate.value, 10.0);
    assert_eq!(rate.unit.as_deref(), Some("per second"));
}

#[test]
fn counter_reset_gives_no_negative_rate() {
    let mut r = SourceReader::new(&source(
        MetricFormat::Prometheus,
        &["node_cpu_seconds_total{mode=\"user\"}"],
    ));
    let body = fixture("node_exporter.prom");
    assert!(r.read(&body, 0).unwrap().is_empty());
    let reset = body.replace("1200.5", "1.0").replace("1300.25", "2.0");
    assert!(
        r.read(&reset, 1_000).unwrap().is_empty(),
        "a reset skips a poll"
    );
    let after = reset.replace("} 1.0", "} 3.0");
    let points = r.read(&after, 2_000).unwrap();
    assert_eq!(value(&points, "node_cpu_seconds_total{mode=\"user\"}"), 2.0);
}

#[test]
fn node_exporter_nan_and_default_series() {
    let e = prometheus::parse(&fixture("node_exporter.prom"));
    assert!(e.problems.is_empty(), "{:?}", e.problems);
    assert!(e.samples.iter().any(|s| s.value.is_nan()));
    // No series named: the counters and gauges without labels.
    let mut r = SourceReader::new(&source(MetricFormat::Prometheus, &[]));
    let points = r.read(&fixture("node_exporter.prom"), 0).unwrap();
    let names: Vec<&str> = points.iter().map(|p| p.series.as_str()).collect();
    assert_eq!(names, vec!["node_load1"]);
}

#[test]
fn openmetrics_with_exemplars_escapes_and_eof() {
    let e = prometheus::parse(&fixture("openmetrics.txt"));
    assert!(e.problems.is_empty(), "{:?}", e.problems);
    assert!(e.samples.iter().all(|s| s.name != "ignored_after_eof"));
    let t = e
        .samples
        .iter()
        .find(|s| s.name == "app_temperature")
        .unwrap();
    assert_eq!(t.label("room"), Some("lab \"A\""));
    assert_eq!(t.label("note"), Some("line1\nline2"));
    assert_eq!(t.label("path"), Some("C:\\tmp"));
    assert_eq!(t.value, f64::NEG_INFINITY);
    // `app_requests` is typed without `_total`; the selector finds the `_total` series.
    let mut r = SourceReader::new(&source(
        MetricFormat::Prometheus,
        &["app_requests", "app_latency_seconds:p50"],
    ));
    let points = r.read(&fixture("openmetrics.txt"), 0).unwrap();
    let p50 = points
        .iter()
        .find(|p| p.series == "app_latency_seconds:p50")
        .unwrap();
    assert!((p50.value - 0.0625).abs() < 1e-9, "{}", p50.value);
    assert_eq!(p50.unit.as_deref(), Some("s"));
}

#[test]
fn malformed_lines_are_reported_with_their_number_and_the_rest_is_read() {
    let e = prometheus::parse(&fixture("malformed.prom"));
    let lines: Vec<usize> = e.problems.iter().map(|(l, _)| *l).collect();
    assert_eq!(lines, vec![3, 4, 5, 6, 7, 8, 9], "{:?}", e.problems);
    assert!(
        e.problems[0].1.contains("`missing_value` has no value"),
        "{:?}",
        e.problems[0]
    );
    assert!(
        e.problems[2].1.contains("bad escape"),
        "{:?}",
        e.problems[2]
    );
    assert!(e.problems[4].1.contains("unknown metric type `notatype`"));
    let names: Vec<&str> = e.samples.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, vec!["good_total", "still_good"]);

    let mut r = SourceReader::new(&source(MetricFormat::Prometheus, &["still_good"]));
    assert_eq!(
        value(
            &r.read(&fixture("malformed.prom"), 0).unwrap(),
            "still_good"
        ),
        3.5
    );
    let err = SourceReader::new(&source(MetricFormat::Prometheus, &["x"]))
        .read("garbage here\n", 0)
        .unwrap_err();
    assert!(
        matches!(err, MetricsError::Unreadable { line: 1, .. }),
        "{err}"
    );
}

#[test]
fn absent_series_is_an_error_only_when_nothing_matches() {
    let body = fixture("go_client.prom");
    let mut r = SourceReader::new(&source(
        MetricFormat::Prometheus,
        &["go_goroutines", "nope"],
    ));
    assert_eq!(r.read(&body, 0).unwrap().len(), 1);
    let err = SourceReader::new(&source(MetricFormat::Prometheus, &["nope", "nada"]))
        .read(&body, 0)
        .unwrap_err();
    assert_eq!(err, MetricsError::NoSeries("nope, nada".into()));
    let bad = SourceReader::new(&source(MetricFormat::Prometheus, &["x{a=1}"]))
        .read(&body, 0)
        .unwrap_err();
    assert!(matches!(bad, MetricsError::BadSelector { .. }), "{bad}");
}

#[test]
fn json_paths_numbers_strings_and_booleans() {
    let body = r#"{"rps": 12.5, "p95_ms": "180", "up": true, "latency": {"p99": 0.3}, "items": [{"v": 4}], "name": "x"}"#;
    let mut r = SourceReader::new(&source(
        MetricFormat::Json,
        &["rps", "p95_ms", "up", "latency.p99", "items.0.v"],
    ));
    let points = r.read(body, 0).unwrap();
    assert_eq!(value(&points, "rps"), 12.5);
    assert_eq!(value(&points, "p95_ms"), 180.0);
    assert_eq!(
        points
            .iter()
            .find(|p| p.series == "p95_ms")
            .unwrap()
            .unit
            .as_deref(),
        Some("ms")
    );
    assert_eq!(value(&points, "up"), 1.0);
    assert_eq!(value(&points, "latency.p99"), 0.3);
    assert_eq!(value(&points, "items.0.v"), 4.0);
    // Without series: every top-level number.
    let mut all = SourceReader::new(&source(MetricFormat::Json, &[]));
    let names: Vec<String> = all
        .read(body, 0)
        .unwrap()
        .into_iter()
        .map(|p| p.series)
        .collect();
    assert_eq!(names, vec!["p95_ms", "rps"]);
    let err = SourceReader::new(&source(MetricFormat::Json, &["rps"]))
        .read("<html>", 0)
        .unwrap_err();
    assert!(matches!(err, MetricsError::NotJson(_)));
}
