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

/// Median of `runs` timed parses, in seconds. The model is dropped outside the timing: a
/// presenter waits for the parse, not for the previous model to be freed.
fn median_parse_seconds(text: &str, runs: usize) -> f64 {
    let mut times: Vec<f64> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            let parsed = black_box(runbook::parse_str(black_box(text), None));
            let took = t.elapsed().as_secs_f64();
            drop(parsed);
            took
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[runs / 2]
}

fn linearity_table() {
    table("fixtures repeated", runbook_of);
    table("lists and checklists, no ##", lists_of);
}

/// Median of `runs` timed passes of pulldown-cmark alone over `text` (every event and its
/// offset, with the parser's own extensions): the cost the parser cannot go below.
fn median_tokenize_seconds(text: &str, runs: usize) -> f64 {
    let mut times: Vec<f64> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            let events =
                pulldown_cmark::Parser::new_ext(black_box(text), runbook::markdown_options())
                    .into_offset_iter()
                    .count();
            black_box(events);
            t.elapsed().as_secs_f64()
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[runs / 2]
}

/// Time per MB at each size against 1 MB, for the parser and for pulldown-cmark alone
/// over the same text: when both grow alike, the growth is the tokenizer's or the
/// memory's, not the parser's own; `parse/cmark` is the parser's cost over the tokenizer's.
fn table(what: &str, make: fn(usize) -> String) {
    println!("\nlinearity, {what} (median of 5; ratio = time per MB / time per MB at 1 MB)");
    println!(
        "{:>8} {:>10} {:>10} {:>7} {:>12} {:>7} {:>11}",
        "size", "parse", "per MB", "ratio", "cmark per MB", "ratio", "parse/cmark"
    );
    let mut baseline = None;
    for mb in [1usize, 2, 5, 10] {
        let text = make(mb << 20);
        let mbs = text.len() as f64 / (1 << 20) as f64;
        let secs = median_parse_seconds(&text, 5);
        let cmark = median_tokenize_seconds(&text, 5) / mbs;
        let per_mb = secs / mbs;
        let (base, cmark_base) = *baseline.get_or_insert((per_mb, cmark));
        println!(
            "{:>6}MB {:>8.1}ms {:>8.1}ms {:>7.2} {:>10.1}ms {:>7.2} {:>11.2}",
            mb,
            secs * 1e3,
            per_mb * 1e3,
            per_mb / base,
            cmark * 1e3,
            cmark / cmark_base,
            per_mb / cmark
        );
    }
}

criterion_group!(benches, fixtures, large);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    linearity_table();
}
