//! Parse speed: each fixture runbook (seed-sized, goal < 1 ms), and runbooks of 1, 2, 5
//! and 10 MB built from them, to show time grows linearly with size; the same for a
//! generated runbook of numbered-list steps and checklists without `##`. After criterion's
//! own report, prints a table with each size's time per MB against the 1 MB baseline.
//!
//! `CUEDECK_BENCH_RUNBOOKS=dir-or-file[:...]` adds the runbooks found there (e.g.
//! users' runbooks you have on disk) to the per-file benchmark.

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

/// Runbooks in other people's styles (issue 14), timed alone.
const STYLES: &[(&str, &str)] = &[
    (
        "styles/preflight-checklist",
        include_str!("../tests/fixtures/styles/preflight-checklist.md"),
    ),
    (
        "styles/ordered-only",
        include_str!("../tests/fixtures/styles/ordered-only.md"),
    ),
    (
        "styles/interview-quotes",
        include_str!("../tests/fixtures/styles/interview-quotes.md"),
    ),
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
    for (name, text) in FIXTURES.iter().chain(STYLES) {
        g.throughput(Throughput::Bytes(text.len() as u64));
        g.bench_function(*name, |b| {
            b.iter(|| runbook::parse_str(black_box(text), None))
        });
    }
    for (name, text) in extra_runbooks() {
        g.throughput(Throughput::Bytes(text.len() as u64));
        g.bench_function(name, |b| {
            b.iter(|| runbook::parse_str(black_box(&text), None))
        });
    }
    g.finish();
}

/// Runbooks named by `CUEDECK_BENCH_RUNBOOKS` (files, or every file in a folder).
fn extra_runbooks() -> Vec<(String, String)> {
    let Ok(list) = std::env::var("CUEDECK_BENCH_RUNBOOKS") else {
        return Vec::new();
    };
    let mut files = Vec::new();
    for entry in std::env::split_paths(&list) {
        match std::fs::read_dir(&entry) {
            Ok(dir) => files.extend(dir.flatten().map(|e| e.path())),
            Err(_) => files.push(entry),
        }
    }
    files.sort();
    files
        .into_iter()
        .filter_map(|path| {
            let text = std::fs::read_to_string(&path).ok()?;
            let name = path.file_name()?.to_string_lossy().into_owned();
            Some((name, text))
        })
        .collect()
}

/// A runbook of about `bytes` with no `##`: one numbered list whose items are steps,
/// checklist items with commands, blocks in quotes and nested bullets (issue 14's
/// shapes), so the list-as-steps rules are timed at size too.
fn lists_of(bytes: usize) -> String {
    let mut text = String::with_capacity(bytes + 4096);
    text.push_str("# Generated list runbook\n\n");
    let mut i = 0;
    while text.len() < bytes {
        i += 1;
        text.push_str(&format!(
            "{i}. Deploy part {i} (2-3 min)\n   ```\n   kubectl apply -f part-{i}.yaml\n   // waits for the rollout\n   ```\n   - Talking points:\n     - part {i} comes up\n   > \"Part {i} is live.\"\n\n- [ ] Check part {i}\n  ```bash\n  kubectl get pods -l part={i}\n  NAME   READY   STATUS\n  p-{i}  1/1     Running\n  ```\n\n"
        ));
    }
    text
}

fn large(c: &mut Criterion) {
    let mut g = c.benchmark_group("parse-large");
    g.sample_size(10);
    let text = runbook_of(10 << 20);
    g.throughput(Throughput::Bytes(text.len() as u64));
    g.bench_function("10MB", |b| {
        b.iter(|| runbook::parse_str(black_box(&text), None))
    });
    let lists = lists_of(5 << 20);
    g.throughput(Throughput::Bytes(lists.len() as u64));
    g.bench_function("5MB-lists", |b| {
        b.iter(|| runbook::parse_str(black_box(&lists), None))
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
    table("fixtures repeated", runbook_of);
    table("lists and checklists, no ##", lists_of);
}

fn table(what: &str, make: fn(usize) -> String) {
    println!("\nlinearity, {what} (median of 5 parses; ratio = time per MB / time per MB at 1 MB)");
    println!(
        "{:>8} {:>12} {:>12} {:>7}",
        "size", "time", "per MB", "ratio"
    );
    let mut baseline = None;
    for mb in [1usize, 2, 5, 10] {
        let text = make(mb << 20);
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
