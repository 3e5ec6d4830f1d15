//! What the demo service counts about itself, and how it prints it: Prometheus text
//! exposition for `/metrics`, a small JSON document for `/_metrics`.

use std::collections::{BTreeMap, VecDeque};
use std::fmt::Write as _;
use std::time::{Duration, Instant};

use serde::Serialize;

use super::faults::Faults;

/// Upper bounds of the latency histogram's buckets, in seconds (Prometheus' defaults,
/// trimmed to what a demo shows).
pub const BUCKETS: [f64; 9] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5];

/// How far back `rps` and `p95_ms` look in `/_metrics`.
const RECENT: Duration = Duration::from_secs(5);

/// Counters since start, and the last few seconds of `/work` answers.
#[derive(Debug, Default)]
pub struct Stats {
    /// (route, status code) -> requests answered.
    requests: BTreeMap<(String, u16), u64>,
    /// `/work` latency histogram: cumulative counts are computed when printed.
    bucket_counts: [u64; BUCKETS.len()],
    latency_sum: f64,
    latency_count: u64,
    /// `/work` answers of the last [`RECENT`]: when, how long, whether it failed.
    recent: VecDeque<(Instant, f64, bool)>,
}

/// `/_metrics`: what a dashboard (or a runbook's JSON metrics source) reads.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    pub requests: u64,
    pub errors: u64,
    /// `/work` answers per second over the last 5 s.
    pub rps: f64,
    /// 95th percentile of `/work` latency over the last 5 s, in milliseconds.
    #[serde(rename = "p95_ms")]
    pub p95_ms: f64,
    pub in_flight: i64,
    pub uptime_seconds: f64,
    pub fault: Faults,
}

impl Stats {
    /// Counts one answer; `/work` answers also feed the histogram and the recent window.
    pub fn record(&mut self, route: &str, code: u16, latency: Duration, now: Instant) {
        *self.requests.entry((route.to_string(), code)).or_default() += 1;
        if route != "/work" {
            return;
        }
        let secs = latency.as_secs_f64();
        if let Some(i) = BUCKETS.iter().position(|b| secs <= *b) {
            self.bucket_counts[i] += 1;
        }
        self.latency_sum += secs;
        self.latency_count += 1;
        self.recent.push_back((now, secs, code >= 500));
        self.forget_before(now);
    }

    fn forget_before(&mut self, now: Instant) {
        while let Some((t, _, _)) = self.recent.front() {
            if now.duration_since(*t) > RECENT {
                self.recent.pop_front();
            } else {
                break;
            }
        }
    }

    pub fn summary(
        &mut self,
        now: Instant,
        started: Instant,
        in_flight: i64,
        fault: Faults,
    ) -> Summary {
        self.forget_before(now);
        let mut latencies: Vec<f64> = self.recent.iter().map(|(_, l, _)| *l).collect();
        latencies.sort_by(f64::total_cmp);
        let p95 = latencies
            .get((latencies.len() * 95).div_ceil(100).saturating_sub(1))
            .copied()
            .unwrap_or(0.0);
        let window = RECENT
            .min(now.duration_since(started))
            .as_secs_f64()
            .max(1.0);
        Summary {
            requests: self.requests.values().sum(),
            errors: self
                .requests
                .iter()
                .filter(|((_, code), _)| *code >= 500)
                .map(|(_, n)| n)
                .sum(),
            rps: round2(self.recent.len() as f64 / window),
            p95_ms: round2(p95 * 1000.0),
            in_flight,
            uptime_seconds: round2(now.duration_since(started).as_secs_f64()),
            fault,
        }
    }

    /// The Prometheus text exposition (format 0.0.4) of everything counted.
    pub fn prometheus(&self, uptime: Duration, in_flight: i64, faults: &Faults) -> String {
        let mut o = String::new();
        family(
            &mut o,
            "demo_requests_total",
            "counter",
            "Requests answered, by route and status code.",
        );
        for ((route, code), n) in &self.requests {
            let _ = writeln!(
                o,
                "demo_requests_total{{route=\"{}\",code=\"{code}\"}} {n}",
                escape(route)
            );
        }
        family(
            &mut o,
            "demo_request_duration_seconds",
            "histogram",
            "Time to answer /work, in seconds.",
        );
        let mut cumulative = 0;
        for (bound, count) in BUCKETS.iter().zip(self.bucket_counts) {
            cumulative += count;
            let _ = writeln!(
                o,
                "demo_request_duration_seconds_bucket{{le=\"{bound}\"}} {cumulative}"
            );
        }
        let _ = writeln!(
            o,
            "demo_request_duration_seconds_bucket{{le=\"+Inf\"}} {}",
            self.latency_count
        );
        let _ = writeln!(o, "demo_request_duration_seconds_sum {}", self.latency_sum);
        let _ = writeln!(
            o,
            "demo_request_duration_seconds_count {}",
            self.latency_count
        );
        family(
            &mut o,
            "demo_in_flight_requests",
            "gauge",
            "Requests being answered now.",
        );
        let _ = writeln!(o, "demo_in_flight_requests {in_flight}");
        family(
            &mut o,
            "demo_fault_active",
            "gauge",
            "1 while a fault of this kind is injected.",
        );
        for (kind, on) in faults.kinds() {
            let _ = writeln!(o, "demo_fault_active{{kind=\"{kind}\"}} {}", u8::from(on));
        }
        family(
            &mut o,
            "demo_uptime_seconds",
            "gauge",
            "Seconds since the service started.",
        );
        let _ = writeln!(o, "demo_uptime_seconds {:.3}", uptime.as_secs_f64());
        o
    }
}

fn family(o: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(o, "# HELP {name} {help}");
    let _ = writeln!(o, "# TYPE {name} {kind}");
}

/// A label value as the exposition format wants it: `\`, `"` and newlines escaped.
fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_is_cumulative_and_ends_at_the_count() {
        let mut s = Stats::default();
        let now = Instant::now();
        for ms in [3, 8, 40, 40, 300] {
            s.record("/work", 200, Duration::from_millis(ms), now);
        }
        s.record("/health", 503, Duration::from_millis(1), now);
        let text = s.prometheus(Duration::from_secs(2), 0, &Faults::default());
        assert!(
            text.contains("demo_request_duration_seconds_bucket{le=\"0.005\"} 1\n"),
            "{text}"
        );
        assert!(
            text.contains("demo_request_duration_seconds_bucket{le=\"0.05\"} 4\n"),
            "{text}"
        );
        assert!(
            text.contains("demo_request_duration_seconds_bucket{le=\"+Inf\"} 5\n"),
            "{text}"
        );
        assert!(
            text.contains("demo_requests_total{route=\"/health\",code=\"503\"} 1\n"),
            "{text}"
        );
        let summary = s.summary(now, now - Duration::from_secs(10), 0, Faults::default());
        assert_eq!(summary.requests, 6);
        assert_eq!(summary.errors, 1);
        assert_eq!(summary.p95_ms, 300.0);
        assert_eq!(summary.rps, 1.0);
    }
}
