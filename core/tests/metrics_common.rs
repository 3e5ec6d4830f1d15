//! Helpers shared by the metrics tests (included with `mod`; not a test itself).
#![allow(dead_code)]

use cuedeck_core::probe::metrics::SourceReader;
use cuedeck_core::runbook::{MetricFormat, MetricSource, Origin};

/// A metrics source of `format` selecting `series` (the URL is never fetched).
pub fn source(format: MetricFormat, series: &[&str]) -> MetricSource {
    MetricSource {
        name: "src".into(),
        url: "http://127.0.0.1:1/metrics".into(),
        format,
        series: series.iter().map(|s| s.to_string()).collect(),
        interval_ms: 1000,
        origin: Origin::Declared,
        line: 1,
    }
}

pub fn reader(format: MetricFormat, series: &[&str]) -> SourceReader {
    SourceReader::new(&source(format, series))
}
