//! No body makes the metrics readers panic: random text, and real exposition text
//! mutated the way truncated or garbled answers look.

mod metrics_common;

use proptest::prelude::*;

use cuedeck_core::probe::metrics::prometheus;
use cuedeck_core::runbook::MetricFormat;
use metrics_common::reader;

const BODIES: &[&str] = &[
    include_str!("fixtures/metrics/go_client.prom"),
    include_str!("fixtures/metrics/kong.prom"),
    include_str!("fixtures/metrics/node_exporter.prom"),
    include_str!("fixtures/metrics/openmetrics.txt"),
    include_str!("fixtures/metrics/malformed.prom"),
];

const FRAGMENTS: &[&str] = &[
    "{",
    "}",
    "\"",
    "\\",
    "=",
    ",",
    " # ",
    "# TYPE ",
    "# EOF",
    "le=\"+Inf\"",
    "NaN",
    "-Inf",
    "\n",
    ":p95",
    "é",
    "\u{0}",
];

fn read_everything(body: &str) {
    let _ = prometheus::parse(body);
    let selectors = [
        "kong_request_latency_ms:p95",
        "go_goroutines",
        "x{a=\"1\"}",
        "app_requests",
    ];
    let _ = reader(MetricFormat::Prometheus, &selectors).read(body, 1);
    let _ = reader(MetricFormat::Prometheus, &[]).read(body, 1);
    let _ = reader(MetricFormat::Json, &["a.b.0", "rps"]).read(body, 1);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn random_text(body in ".{0,400}") {
        read_everything(&body);
    }

    #[test]
    fn mutated_exposition(
        which in 0..BODIES.len(),
        cut in 0usize..4000,
        at in 0usize..4000,
        fragment in 0..FRAGMENTS.len(),
    ) {
        let body = BODIES[which];
        let mut cut_at = cut.min(body.len());
        while !body.is_char_boundary(cut_at) { cut_at -= 1; }
        let mut mutated = body[..cut_at].to_string();
        let mut insert_at = at.min(mutated.len());
        while !mutated.is_char_boundary(insert_at) { insert_at -= 1; }
        mutated.insert_str(insert_at, FRAGMENTS[fragment]);
        read_everything(&mutated);
    }
}
