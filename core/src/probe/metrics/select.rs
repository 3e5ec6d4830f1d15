//! Series selectors as a runbook writes them, and the arithmetic behind them.
//!
//! - `rps`, `latency.p95_ms` — a JSON field path;
//! - `http_requests_total` — every series of that name, summed;
//! - `kong_http_status{code="429"}` — the series whose labels include these (a subset
//!   match; several matches are summed, so `{route="/work"}` adds up all codes);
//! - `http_request_duration_seconds:p95` — a quantile: from a histogram's buckets
//!   (linear within the bucket, as Prometheus' `histogram_quantile` does) or a
//!   summary's own `quantile="0.95"` series.

use super::prometheus::read_labels;

/// A parsed selector.
#[derive(Debug, Clone, PartialEq)]
pub struct Selector {
    /// The text as written, which names the series in points and charts.
    pub text: String,
    pub name: String,
    pub labels: Vec<(String, String)>,
    /// `0.95` for `:p95`, `0.999` for `:p99.9`.
    pub quantile: Option<f64>,
}

impl Selector {
    pub fn parse(text: &str) -> Result<Self, String> {
        let trimmed = text.trim();
        let (body, quantile) = match trimmed.rsplit_once(":p") {
            Some((body, q))
                if !q.is_empty() && q.chars().all(|c| c.is_ascii_digit() || c == '.') =>
            {
                let percent: f64 = q
                    .parse()
                    .map_err(|_| format!("`:p{q}` is not a percentile"))?;
                if !(0.0..=100.0).contains(&percent) {
                    return Err(format!("`:p{q}` is not a percentile between 0 and 100"));
                }
                (body, Some(percent / 100.0))
            }
            _ => (trimmed, None),
        };
        let (name, labels) = match body.split_once('{') {
            Some((name, rest)) => {
                let (labels, after) = read_labels(rest)?;
                if !after.trim().is_empty() {
                    return Err(format!("unexpected `{}` after the labels", after.trim()));
                }
                (name.trim(), labels)
            }
            None => (body, Vec::new()),
        };
        if name.is_empty() {
            return Err("a selector needs a metric name".into());
        }
        Ok(Self {
            text: trimmed.to_string(),
            name: name.to_string(),
            labels,
            quantile,
        })
    }

    /// Whether a series' labels include every label this selector names.
    pub fn matches_labels(&self, labels: &[(String, String)]) -> bool {
        self.labels
            .iter()
            .all(|(k, v)| labels.iter().any(|(lk, lv)| lk == k && lv == v))
    }
}

/// The `q` quantile of a histogram given as cumulative (upper bound, count) buckets
/// sorted by bound and ending with +Inf. `None` without observations.
pub fn histogram_quantile(q: f64, buckets: &[(f64, f64)]) -> Option<f64> {
    let total = buckets.last()?.1;
    if total <= 0.0 || !q.is_finite() {
        return None;
    }
    let rank = q.clamp(0.0, 1.0) * total;
    let mut lower = (0.0, 0.0);
    for &(bound, count) in buckets {
        if count >= rank {
            if bound.is_infinite() {
                // Beyond the last finite bucket: its bound is the best estimate.
                return Some(lower.0);
            }
            let width = count - lower.1;
            if width <= 0.0 {
                return Some(bound);
            }
            return Some(lower.0 + (bound - lower.0) * (rank - lower.1) / width);
        }
        lower = (bound, count);
    }
    Some(lower.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selectors() {
        let s = Selector::parse("kong_http_status{code=\"429\"}").unwrap();
        assert_eq!(s.name, "kong_http_status");
        assert_eq!(s.labels, vec![("code".to_string(), "429".to_string())]);
        assert_eq!(s.quantile, None);
        let q = Selector::parse("http_request_duration_seconds{route=\"/a\"}:p99.9").unwrap();
        assert!((q.quantile.unwrap() - 0.999).abs() < 1e-12);
        assert_eq!(Selector::parse("p95_ms").unwrap().quantile, None);
        assert!(Selector::parse("x{a=1}").is_err());
        assert!(Selector::parse("x:p200").is_err());
    }

    #[test]
    fn quantiles_interpolate_within_the_bucket() {
        // 10 observations: 2 under 0.1, 6 more under 0.5, 2 more under 1.
        let b = [(0.1, 2.0), (0.5, 8.0), (1.0, 10.0), (f64::INFINITY, 10.0)];
        // p50: rank 5, in (0.1, 0.5]: 0.1 + 0.4 * (5 - 2) / 6 = 0.3.
        assert!((histogram_quantile(0.5, &b).unwrap() - 0.3).abs() < 1e-9);
        // p95: rank 9.5, in (0.5, 1]: 0.5 + 0.5 * 1.5 / 2 = 0.875.
        assert!((histogram_quantile(0.95, &b).unwrap() - 0.875).abs() < 1e-9);
        // Beyond the last finite bound: that bound.
        let tail = [(0.1, 1.0), (f64::INFINITY, 4.0)];
        assert_eq!(histogram_quantile(0.9, &tail), Some(0.1));
        assert_eq!(histogram_quantile(0.5, &[(f64::INFINITY, 0.0)]), None);
    }
}
