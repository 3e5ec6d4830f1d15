//! Metrics sources: a poll's body (Prometheus text exposition or JSON) turned into
//! the points of the series the runbook selects. Counters become rates, which needs
//! the previous poll: a [`SourceReader`] keeps that state per source.
//!
//! - [`prometheus`]: the text format, line by line, bad lines reported and skipped;
//! - [`select`]: selectors (`name{label="v"}:p95`) and histogram quantiles.
//!
//! Without `series`, a source charts what it has: every top-level number of a JSON
//! body, or every counter and gauge without labels of a Prometheus body (at most
//! [`DEFAULT_SERIES_CAP`]).

pub mod prometheus;
pub mod select;

use std::collections::HashMap;

use serde_json::Value;

use crate::probe::events::{MetricPoint, UnixMs};
use crate::probe::health::json_path;
use crate::runbook::{MetricFormat, MetricSource};
use prometheus::{Exposition, Kind};
use select::{histogram_quantile, Selector};

/// How many series a source without `series` charts at most.
pub const DEFAULT_SERIES_CAP: usize = 6;

/// Why a poll's body gave no points.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum MetricsError {
    #[error("the body is not JSON: {0}")]
    NotJson(String),
    #[error("no line of the body could be read (line {line}: {message})")]
    Unreadable { line: usize, message: String },
    #[error("none of the series {0} is in the body")]
    NoSeries(String),
    #[error("series `{selector}` cannot be read: {why}")]
    BadSelector { selector: String, why: String },
}

const PER_SECOND: &str = "per second";

/// Reads successive polls of one metrics source.
#[derive(Debug)]
pub struct SourceReader {
    source: MetricSource,
    /// Counters' last values and when they were read, by series.
    last_counts: HashMap<String, (f64, UnixMs)>,
    /// Histograms' last cumulative buckets, by series: quantiles are of what happened
    /// since the previous poll, as a chart should show.
    last_buckets: HashMap<String, Vec<(f64, f64)>>,
}

impl SourceReader {
    pub fn new(source: &MetricSource) -> Self {
        Self {
            source: source.clone(),
            last_counts: HashMap::new(),
            last_buckets: HashMap::new(),
        }
    }

    /// The source this reader reads.
    pub fn source(&self) -> &MetricSource {
        &self.source
    }

    /// The points of the selected series in one poll's body, taken at `at`. A
    /// counter's first poll gives no point (a rate needs two).
    pub fn read(&mut self, body: &str, at: UnixMs) -> Result<Vec<MetricPoint>, MetricsError> {
        let selectors = self.selectors()?;
        match self.source.format {
            MetricFormat::Json => self.read_json(body, at, &selectors),
            MetricFormat::Prometheus => self.read_prometheus(body, at, &selectors),
        }
    }

    fn selectors(&self) -> Result<Vec<Selector>, MetricsError> {
        self.source
            .series
            .iter()
            .map(|text| {
                Selector::parse(text).map_err(|why| MetricsError::BadSelector {
                    selector: text.clone(),
                    why,
                })
            })
            .collect()
    }

    fn point(&self, series: &str, at: UnixMs, value: f64, unit: Option<&str>) -> MetricPoint {
        MetricPoint {
            source: self.source.name.clone(),
            series: series.to_string(),
            at,
            value,
            unit: unit.map(str::to_string),
        }
    }

    /// A counter's value as a rate since the last poll; `None` on the first poll and
    /// after a reset (the value went down), never a negative rate.
    fn rate(&mut self, series: &str, value: f64, at: UnixMs) -> Option<f64> {
        let previous = self.last_counts.insert(series.to_string(), (value, at));
        let (before, then) = previous?;
        let seconds = at.checked_sub(then)? as f64 / 1000.0;
        (value >= before && seconds > 0.0).then(|| (value - before) / seconds)
    }

    fn read_json(
        &mut self,
        body: &str,
        at: UnixMs,
        selectors: &[Selector],
    ) -> Result<Vec<MetricPoint>, MetricsError> {
        let value: Value =
            serde_json::from_str(body).map_err(|e| MetricsError::NotJson(e.to_string()))?;
        let fields: Vec<String> = if selectors.is_empty() {
            top_level_numbers(&value)
        } else {
            selectors.iter().map(|s| s.text.clone()).collect()
        };
        let mut points = Vec::new();
        let mut found = false;
        for field in &fields {
            let Some(number) = json_path(&value, field).and_then(as_number) else {
                continue;
            };
            found = true;
            if field.ends_with("_total") {
                if let Some(rate) = self.rate(field, number, at) {
                    points.push(self.point(field, at, rate, Some(PER_SECOND)));
                }
            } else {
                points.push(self.point(field, at, number, unit_of(field)));
            }
        }
        if !found && !fields.is_empty() {
            return Err(MetricsError::NoSeries(fields.join(", ")));
        }
        Ok(points)
    }

    fn read_prometheus(
        &mut self,
        body: &str,
        at: UnixMs,
        selectors: &[Selector],
    ) -> Result<Vec<MetricPoint>, MetricsError> {
        let exposition = prometheus::parse(body);
        if exposition.samples.is_empty() {
            if let Some((line, message)) = exposition.problems.first() {
                return Err(MetricsError::Unreadable {
                    line: *line,
                    message: message.clone(),
                });
            }
        }
        for (line, message) in &exposition.problems {
            tracing::debug!(source = %self.source.name, line, %message, "metrics line skipped");
        }
        let selectors = if selectors.is_empty() {
            default_selectors(&exposition)
        } else {
            selectors.to_vec()
        };
        let mut points = Vec::new();
        let mut found = false;
        for selector in &selectors {
            let value = match selector.quantile {
                Some(q) => self.quantile(&exposition, selector, q),
                None => self.plain(&exposition, selector, at),
            };
            match value {
                Reading::Absent => {}
                Reading::Pending => found = true,
                Reading::Value(v, unit) => {
                    found = true;
                    points.push(self.point(&selector.text, at, v, unit));
                }
            }
        }
        if !found && !selectors.is_empty() {
            let names: Vec<&str> = selectors.iter().map(|s| s.text.as_str()).collect();
            return Err(MetricsError::NoSeries(names.join(", ")));
        }
        Ok(points)
    }

    /// A counter's rate or a gauge's value: the matching series, summed.
    fn plain(&mut self, e: &Exposition, selector: &Selector, at: UnixMs) -> Reading {
        let total_name = format!("{}_total", selector.name);
        let matching: Vec<&prometheus::Sample> = e
            .samples
            .iter()
            .filter(|s| s.name == selector.name || s.name == total_name)
            .filter(|s| selector.matches_labels(&s.labels))
            .collect();
        let Some(first) = matching.first() else {
            return Reading::Absent;
        };
        let sum: f64 = matching.iter().map(|s| s.value).sum();
        // The declared TYPE decides; names only for untyped series.
        let counter = match e.kind_of(&first.name) {
            Kind::Counter => true,
            Kind::Untyped => first.name.ends_with("_total") || first.name.ends_with("_count"),
            Kind::Histogram | Kind::Summary => {
                first.name.ends_with("_count") || first.name.ends_with("_sum")
            }
            Kind::Gauge => false,
        };
        if counter {
            match self.rate(&selector.text, sum, at) {
                Some(rate) => Reading::Value(rate, Some(PER_SECOND)),
                None => Reading::Pending,
            }
        } else {
            Reading::Value(sum, unit_of(&first.name))
        }
    }

    /// A histogram quantile over the buckets' growth since the last poll (all time on
    /// the first poll), or a summary's own quantile series.
    fn quantile(&mut self, e: &Exposition, selector: &Selector, q: f64) -> Reading {
        let unit = unit_of(&selector.name);
        let bucket_name = format!("{}_bucket", selector.name);
        let mut by_bound: Vec<(f64, f64)> = Vec::new();
        for s in e.samples.iter().filter(|s| s.name == bucket_name) {
            if !selector.matches_labels(&s.labels) {
                continue;
            }
            let Some(bound) = s.label("le").and_then(|le| {
                le.parse::<f64>()
                    .ok()
                    .or_else(|| (le == "+Inf").then_some(f64::INFINITY))
            }) else {
                continue;
            };
            match by_bound.iter_mut().find(|(b, _)| *b == bound) {
                Some(entry) => entry.1 += s.value,
                None => by_bound.push((bound, s.value)),
            }
        }
        if by_bound.is_empty() {
            return summary_quantile(e, selector, q)
                .map_or(Reading::Absent, |v| Reading::Value(v, unit));
        }
        by_bound.sort_by(|a, b| a.0.total_cmp(&b.0));
        let previous = self
            .last_buckets
            .insert(selector.text.clone(), by_bound.clone());
        let recent = match previous {
            Some(before) if before.len() == by_bound.len() => by_bound
                .iter()
                .zip(&before)
                .map(|((bound, now), (_, then))| (*bound, (now - then).max(0.0)))
                .collect(),
            _ => by_bound,
        };
        histogram_quantile(q, &recent).map_or(Reading::Pending, |v| Reading::Value(v, unit))
    }
}

/// What one selector gave in one poll.
enum Reading {
    /// Not in the body.
    Absent,
    /// In the body, but no value yet (a counter's first poll, no new observations).
    Pending,
    Value(f64, Option<&'static str>),
}

fn summary_quantile(e: &Exposition, selector: &Selector, q: f64) -> Option<f64> {
    e.samples
        .iter()
        .filter(|s| s.name == selector.name && selector.matches_labels(&s.labels))
        .find(|s| {
            s.label("quantile")
                .and_then(|v| v.parse::<f64>().ok())
                .is_some_and(|v| (v - q).abs() < 1e-9)
        })
        .map(|s| s.value)
}

/// Counters and gauges without labels, for a source that names no series.
fn default_selectors(e: &Exposition) -> Vec<Selector> {
    let mut names: Vec<&str> = Vec::new();
    for s in &e.samples {
        let plain_kind = matches!(e.kind_of(&s.name), Kind::Counter | Kind::Gauge);
        if plain_kind && s.labels.is_empty() && !names.contains(&s.name.as_str()) {
            names.push(&s.name);
        }
    }
    names
        .into_iter()
        .take(DEFAULT_SERIES_CAP)
        .filter_map(|n| Selector::parse(n).ok())
        .collect()
}

fn top_level_numbers(value: &Value) -> Vec<String> {
    match value {
        Value::Object(map) => map
            .iter()
            .filter(|(_, v)| as_number(v).is_some() && !v.is_boolean())
            .map(|(k, _)| k.clone())
            .take(DEFAULT_SERIES_CAP)
            .collect(),
        _ => Vec::new(),
    }
}

/// Numbers, numeric strings, and booleans as 0/1.
fn as_number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        Value::Bool(b) => Some(f64::from(u8::from(*b))),
        _ => None,
    }
}

/// The unit a series' name states: `_seconds` -> s, `_ms` -> ms, `_bytes` -> bytes.
fn unit_of(name: &str) -> Option<&'static str> {
    let base = name.trim_end_matches("_total");
    if base.ends_with("_seconds") || base.contains("_seconds_") {
        Some("s")
    } else if base.ends_with("_ms") || base.contains("_ms_") {
        Some("ms")
    } else if base.ends_with("_bytes") {
        Some("bytes")
    } else {
        None
    }
}
