//! Parse speed: each fixture runbook (seed-sized, goal < 1 ms), and runbooks of 1, 2, 5
//! and 10 MB built from them, to show time grows linearly with size. After criterion's
//! own report, prints a table with each size's time per MB against the 1 MB baseline.

use std::hint::black_box;
use std::time::Instant;

use criterion::{criterion_group, Criterion, Throughput};

use cuedeck_core::runbook;

const FIXTURES: &[(&str, &str)] = &[
    ("protocol", include_str!("../tests/fixtures/protocol.md")),
    ("cluster", include_str!("../tests/fixtures/cluster.md")),
    ("runme", include_str!("../tests/fixtures/runme.md")),
    ("timed", include_str!("../tests/fixtures/timed.md")),
    ("timeline", include_str!("../tests/fixtures/timeline.md")),
];

/// A runbook of about `bytes`, made of the fixtures (front matter-free) repeated.
fn runbook_of(bytes: usize) -> String {
    let mut text = String::with_capacity(bytes + 4096);
    let mut i = 0;
    while text.len() < bytes {
        let (_, f) = FIXTURES[i % FIXTURES.len()];
        text.push_str(f);
        text.push('\n');
        i += 1;
    }
    text
}

fn fixtures(c: &mut Criterion) {
    let mut g = c.benchmark_group("parse");
    for (name, text) in FIXTURES {
        g.throughput(Throughput::Bytes(text.len() as u64));
        g.bench_function(*name, |b| {
            b.iter(|| runbook::parse_str(black_box(text), None))
        });
    }
    g.finish();
}

fn large(c: &mut Criterion) {
    let mut g = c.benchmark_group("parse-large");
    g.sample_size(10);
    let text = runbook_of(10 << 20);
    g.throughput(Throughput::Bytes(text.len() as u64));
    g.bench_function("10MB", |b| {
        b.iter(|| runbook::parse_str(black_box(&text), None))
    });
    g.finish();
}

/// Median of `runs` timed parses, in seconds.
fn median_parse_seconds(text: &str, runs: usize) -> f64 {
    let mut times: Vec<f64> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            black_box(runbook::parse_str(black_box(text), None));
            t.elapsed().as_secs_f64()
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[runs / 2]
}

fn linearity_table() {
    println!("\nlinearity (median of 5 parses; ratio = time per MB / time per MB at 1 MB)");
    println!(
        "{:>8} {:>12} {:>12} {:>7}",
        "size", "time", "per MB", "ratio"
    );
    let mut baseline = None;
    for mb in [1usize, 2, 5, 10] {
        let text = runbook_of(mb << 20);
        let secs = median_parse_seconds(&text, 5);
        let per_mb = secs / (text.len() as f64 / (1 << 20) as f64);
        let base = *baseline.get_or_insert(per_mb);
        println!(
            "{:>6}MB {:>10.1}ms {:>10.1}ms {:>7.2}",
            mb,
            secs * 1e3,
            per_mb * 1e3,
            per_mb / base
        );
    }
}

criterion_group!(benches, fixtures, large);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    linearity_table();
}
