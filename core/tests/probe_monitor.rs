//! The monitor against real servers on 127.0.0.1: schedules kept under load with hung
//! services, reconfiguration, metrics and system events, and stopping.

mod probe_common;

use std::collections::{BTreeSet, HashMap};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::extract::Path;
use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;
use cuedeck_core::probe::system::TerminalSession;
use cuedeck_core::probe::{http_client, Health, Monitor, MonitorConfig, ProbeEvent, ProbeSink};
use probe_common::*;
use tokio::runtime::Handle;
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver};

/// Generous: the CI machine has 2 cores and runs other work.
const WAIT: Duration = Duration::from_secs(10);

fn start(config: MonitorConfig) -> (Monitor, UnboundedReceiver<ProbeEvent>) {
    let (tx, rx) = unbounded_channel();
    let sink: Arc<dyn ProbeSink> = Arc::new(tx);
    let client = http_client().expect("client");
    (Monitor::start(&Handle::current(), client, config, sink), rx)
}

/// The next event matching `want`, or a panic after [`WAIT`].
async fn next_matching(
    rx: &mut UnboundedReceiver<ProbeEvent>,
    what: &str,
    want: impl Fn(&ProbeEvent) -> bool,
) -> ProbeEvent {
    let found = tokio::time::timeout(WAIT, async {
        while let Some(event) = rx.recv().await {
            if want(&event) {
                return Some(event);
            }
        }
        None
    })
    .await;
    match found {
        Ok(Some(event)) => event,
        Ok(None) => panic!("sink closed before {what}"),
        Err(_) => panic!("no {what} within {WAIT:?}"),
    }
}

fn service_event<'a>(
    event: &'a ProbeEvent,
    name: &str,
) -> Option<&'a cuedeck_core::probe::ServiceStatus> {
    match event {
        ProbeEvent::Service(s) if s.service == name => Some(s),
        _ => None,
    }
}

/// A server counting requests per path `/svc/{i}` and recording when each arrived.
async fn recording_server() -> (SocketAddr, Arc<Mutex<Vec<(usize, Instant)>>>) {
    let arrivals: Arc<Mutex<Vec<(usize, Instant)>>> = Arc::default();
    let log = arrivals.clone();
    let handler = move |Path(i): Path<usize>| {
        log.lock().expect("log").push((i, Instant::now()));
        async { "ok" }
    };
    let addr = serve(Router::new().route("/svc/{i}", get(handler))).await;
    (addr, arrivals)
}

/// How far `at` is from the nearest whole second of the Unix epoch, in ms (negative:
/// early), given the wall time `wall` at the instant `then`: the grid every schedule
/// shares after its first probe.
fn off_grid_ms(at: Instant, then: Instant, wall: SystemTime) -> (f64, u64) {
    let unix = (wall + at.duration_since(then))
        .duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .as_secs_f64();
    let second = unix.round();
    ((unix - second) * 1000.0, second as u64)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let rank = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[rank]
}

/// 100 services at 1 Hz, five of them hung: the 95 healthy ones are probed on
/// schedule, and the hung ones are reported down once their timeout passes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hundred_services_keep_their_schedule_with_five_hung() {
    const SERVICES: usize = 100;
    const HUNG: [usize; 5] = [3, 27, 50, 71, 98];
    const RUN: Duration = Duration::from_millis(5_500);
    let (healthy, arrivals) = recording_server().await;
    let hung = serve_hung().await;
    let services = (0..SERVICES)
        .map(|i| {
            let host = if HUNG.contains(&i) { hung } else { healthy };
            let mut p = service(&format!("svc{i}"), format!("http://{host}/svc/{i}"));
            (p.interval_ms, p.timeout_ms, p.slow_ms) = (1000, 800, 500);
            p
        })
        .collect();
    let config = MonitorConfig {
        services,
        ..MonitorConfig::default()
    };

    let (begin, begin_wall) = (Instant::now(), SystemTime::now());
    let (mut monitor, mut rx) = start(config);
    let mut first_down: HashMap<String, (Instant, Option<String>)> = HashMap::new();
    let mut unknown = BTreeSet::new();
    let mut healthy_health = BTreeSet::new();
    let deadline = tokio::time::Instant::from_std(begin + RUN);
    while let Ok(Some(event)) = tokio::time::timeout_at(deadline, rx.recv()).await {
        let ProbeEvent::Service(s) = event else {
            continue;
        };
        let i: usize = s.service["svc".len()..].parse().expect("index");
        match s.health {
            Health::Unknown => {
                unknown.insert(i);
            }
            Health::Down if HUNG.contains(&i) => {
                first_down
                    .entry(s.service.clone())
                    .or_insert((Instant::now(), s.error));
            }
            health if !HUNG.contains(&i) => {
                healthy_health.insert(format!("{health:?}"));
            }
            _ => {}
        }
    }
    monitor.stop();

    assert_eq!(
        unknown.len(),
        SERVICES,
        "an Unknown status for every service at start"
    );
    assert_eq!(healthy_health, BTreeSet::from(["Up".to_string()]));
    for i in HUNG {
        let (when, error) = first_down.get(&format!("svc{i}")).expect("hung reported");
        assert_eq!(error.as_deref(), Some("timed out after 0.8 s"));
        let after = when.duration_since(begin);
        assert!(
            after < Duration::from_millis(800 + 400),
            "svc{i} down after {after:?}"
        );
    }

    // Jitter: after its first probe (at once), each service is probed on the grid
    // every schedule shares, whole seconds of the Unix epoch (so the window gets one
    // round of results per second, not a hundred scattered ones). How late did each
    // probe reach its server against that grid?
    let arrivals = arrivals.lock().expect("arrivals").clone();
    let mut first: HashMap<usize, Instant> = HashMap::new();
    let mut slots: HashMap<usize, BTreeSet<u64>> = HashMap::new();
    let mut late_ms = Vec::new();
    for (i, at) in arrivals {
        if at.duration_since(begin) > RUN {
            continue;
        }
        if let std::collections::hash_map::Entry::Vacant(e) = first.entry(i) {
            e.insert(at);
            continue;
        }
        let (late, second) = off_grid_ms(at, begin, begin_wall);
        late_ms.push(late);
        slots.entry(i).or_default().insert(second);
    }
    // Every whole second from half a second after the start (the first grid tick
    // is at least that far from the probe made at once) to shortly before the end.
    let (_, last) = off_grid_ms(begin + RUN - Duration::from_millis(600), begin, begin_wall);
    let (_, grid_start) = off_grid_ms(begin + Duration::from_millis(1000), begin, begin_wall);
    let expected_slots: BTreeSet<u64> = (grid_start..=last).collect();
    for i in (0..SERVICES).filter(|i| !HUNG.contains(i)) {
        let got = slots.get(&i).cloned().unwrap_or_default();
        assert!(
            expected_slots.is_subset(&got) && got.len() <= expected_slots.len() + 2,
            "svc{i} probed once a second on the shared grid: {got:?}, want {expected_slots:?}"
        );
    }
    late_ms.sort_by(f64::total_cmp);
    let (p50, p99, max) = (
        percentile(&late_ms, 0.50),
        percentile(&late_ms, 0.99),
        percentile(&late_ms, 1.0),
    );
    let min = late_ms[0];
    println!(
        "probe schedule jitter against the shared 1 s grid over {} probes of 95 healthy \
         services (1 Hz, 5 hung): p50 {p50:.1} ms, p99 {p99:.1} ms, max {max:.1} ms, min {min:.1} ms",
        late_ms.len()
    );
    assert!(min > -50.0, "no probe early: {min:.1} ms");
    assert!(p99 < 150.0, "p99 jitter {p99:.1} ms");
}

/// A service added later joins the same grid: after its first probe (at once), it is
/// probed with the one that ran already, so the window gets their results together
/// and repaints once a round rather than once per service.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn services_started_apart_are_probed_together() {
    let (addr, arrivals) = recording_server().await;
    let every_second = |name: &str, path: u32| {
        let mut probe = service(name, format!("http://{addr}/svc/{path}"));
        probe.interval_ms = 1000;
        probe
    };
    let config = MonitorConfig {
        services: vec![every_second("a", 1)],
        ..MonitorConfig::default()
    };
    let (mut monitor, mut rx) = start(config);
    tokio::time::sleep(Duration::from_millis(300)).await;
    monitor.set_services(vec![every_second("a", 1), every_second("b", 2)]);
    for n in 0..3 {
        next_matching(&mut rx, &format!("probe {n} of b"), |e| {
            service_event(e, "b").is_some_and(|s| s.health == Health::Up)
        })
        .await;
    }
    // And a's answer of that round, which may come just after b's.
    next_matching(&mut rx, "a's probe of the same round", |e| {
        service_event(e, "a").is_some_and(|s| s.health == Health::Up)
    })
    .await;
    drop(monitor);
    let log = arrivals.lock().expect("log").clone();
    let times = |path: usize| -> Vec<Instant> {
        log.iter()
            .filter(|(i, _)| *i == path)
            .map(|(_, t)| *t)
            .collect()
    };
    let (a, b) = (times(1), times(2));
    assert!(b.len() >= 3, "b probed {} times", b.len());
    // b's probes after its first, up to the round a's answer was waited for.
    for at in &b[1..3] {
        let nearest = a
            .iter()
            .map(|t| if t > at { *t - *at } else { *at - *t })
            .min()
            .expect("a probed");
        assert!(
            nearest < Duration::from_millis(60),
            "b probed {nearest:?} away from a's nearest probe (a {a:?}, b {b:?})"
        );
    }
}

/// A monitor with a service, a metrics source and system sampling (all at 10 Hz),
/// once each of them has published.
async fn every_kind_running() -> (Monitor, UnboundedReceiver<ProbeEvent>) {
    let (addr, _) = recording_server().await;
    let config = MonitorConfig {
        services: vec![service("a", format!("http://{addr}/svc/1"))],
        metrics: vec![metric_source("m", format!("http://{addr}/svc/2"))],
        system_interval: Some(Duration::from_millis(100)),
        ..MonitorConfig::default()
    };
    let (monitor, mut rx) = start(config);
    next_matching(&mut rx, "an up status", |e| {
        service_event(e, "a").is_some_and(|s| s.health == Health::Up)
    })
    .await;
    next_matching(&mut rx, "a metrics event", |e| {
        matches!(e, ProbeEvent::Metrics { .. })
    })
    .await;
    next_matching(&mut rx, "a system sample", |e| {
        matches!(e, ProbeEvent::System(_))
    })
    .await;
    (monitor, rx)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stop_ends_every_task() {
    let (mut monitor, mut rx) = every_kind_running().await;
    monitor.stop();
    // Drain what was published before stop() returned; every task ran at 10 Hz, so a
    // second of silence then means none is left.
    while rx.try_recv().is_ok() {}
    let after = tokio::time::timeout(Duration::from_secs(1), rx.recv()).await;
    assert!(after.is_err(), "event after stop: {after:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drop_ends_every_task_and_releases_the_sink() {
    let (monitor, mut rx) = every_kind_running().await;
    drop(monitor);
    // The sink (the channel's only sender) is held by the monitor and its tasks: the
    // channel closes once every task is gone.
    let closed = tokio::time::timeout(WAIT, async { while rx.recv().await.is_some() {} }).await;
    assert!(closed.is_ok(), "tasks still hold the sink after drop");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconfiguring_keeps_unchanged_services_and_stops_removed_ones() {
    let (addr, _) = recording_server().await;
    let a = service("a", format!("http://{addr}/svc/1"));
    let b = service("b", format!("http://{addr}/svc/2"));
    let c = service("c", format!("http://{addr}/svc/3"));
    let config = MonitorConfig {
        services: vec![a.clone(), b.clone()],
        ..MonitorConfig::default()
    };
    let (mut monitor, mut rx) = start(config);
    next_matching(&mut rx, "b up", |e| {
        service_event(e, "b").is_some_and(|s| s.health == Health::Up)
    })
    .await;

    let mut moved_a = a.clone();
    moved_a.line = 42; // the runbook was edited above it: same probe
    monitor.set_services(vec![moved_a, c]);
    while rx.try_recv().is_ok() {} // up to and including c's Unknown
    let mut seen = Vec::new();
    let window = tokio::time::Instant::now() + Duration::from_millis(800);
    while let Ok(Some(ProbeEvent::Service(s))) = tokio::time::timeout_at(window, rx.recv()).await {
        seen.push((s.service, s.health));
    }
    assert!(
        seen.iter().all(|(name, _)| name != "b"),
        "b removed: {seen:?}"
    );
    assert!(
        !seen.contains(&("a".into(), Health::Unknown)),
        "a not restarted"
    );
    assert!(
        seen.contains(&("a".into(), Health::Up)),
        "a still probed: {seen:?}"
    );
    assert!(
        seen.contains(&("c".into(), Health::Up)),
        "c probed: {seen:?}"
    );
    let names: Vec<_> = monitor.services().map(|p| p.name.clone()).collect();
    assert_eq!(names, ["a", "c"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_services_start_unknown() {
    let addr = closed_port().await;
    let config = MonitorConfig {
        services: vec![service("x", format!("http://{addr}/health"))],
        ..MonitorConfig::default()
    };
    let (_monitor, mut rx) = start(config);
    let first = rx.try_recv().expect("published during start");
    let s = service_event(&first, "x").expect("x's status");
    assert_eq!(s.health, Health::Unknown);
    let down = next_matching(&mut rx, "x down", |e| service_event(e, "x").is_some()).await;
    let s = service_event(&down, "x").expect("x's status");
    assert_eq!(
        (s.health, s.error.as_deref()),
        (Health::Down, Some("connection refused"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_fetch_errors_are_reported_per_source() {
    let refused = closed_port().await;
    let failing = serve(Router::new().route(
        "/metrics",
        get(|| async { (StatusCode::INTERNAL_SERVER_ERROR, "no") }),
    ))
    .await;
    let hung = serve_hung().await;
    let config = MonitorConfig {
        metrics: vec![
            metric_source("refused", format!("http://{refused}/metrics")),
            metric_source("failing", format!("http://{failing}/metrics")),
            metric_source("hung", format!("http://{hung}/metrics")),
        ],
        ..MonitorConfig::default()
    };
    let (_monitor, mut rx) = start(config);
    for (name, error) in [
        ("refused", "connection refused"),
        ("failing", "status 500"),
        // A poll may take its interval: 100 ms asked, the 250 ms floor given
        // (shown to one decimal).
        ("hung", "timed out after 0.2 s"),
    ] {
        let event = next_matching(
            &mut rx,
            name,
            |e| matches!(e, ProbeEvent::Metrics { source, .. } if source == name),
        )
        .await;
        let ProbeEvent::Metrics {
            points, error: got, ..
        } = event
        else {
            unreachable!()
        };
        assert!(points.is_empty());
        assert_eq!(got.as_deref(), Some(error), "{name}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_bodies_reach_the_reader() {
    let polls = Arc::new(AtomicUsize::new(0));
    let count = polls.clone();
    let body = move || {
        count.fetch_add(1, Ordering::SeqCst);
        async { axum::Json(serde_json::json!({"rps": 12.5})) }
    };
    let addr = serve(Router::new().route("/metrics", get(body))).await;
    let config = MonitorConfig {
        metrics: vec![metric_source("app", format!("http://{addr}/metrics"))],
        ..MonitorConfig::default()
    };
    let (_monitor, mut rx) = start(config);
    let event = next_matching(
        &mut rx,
        "app metrics",
        |e| matches!(e, ProbeEvent::Metrics { source, .. } if source == "app"),
    )
    .await;
    assert!(polls.load(Ordering::SeqCst) >= 1);
    // The fetch succeeded, so any error is the reader's own (never a fetch error).
    let ProbeEvent::Metrics { error, .. } = event else {
        unreachable!()
    };
    for fetch_error in ["connection refused", "timed out", "status "] {
        assert!(
            !error.as_deref().unwrap_or("").starts_with(fetch_error),
            "{error:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn system_samples_ask_for_the_terminals_each_time() {
    let asked = Arc::new(AtomicUsize::new(0));
    let counter = asked.clone();
    let config = MonitorConfig {
        system_interval: Some(Duration::from_millis(100)),
        terminals: Arc::new(move || {
            counter.fetch_add(1, Ordering::SeqCst);
            vec![TerminalSession {
                name: "main".into(),
                session_id: 1,
            }]
        }),
        ..MonitorConfig::default()
    };
    let (_monitor, mut rx) = start(config);
    for _ in 0..2 {
        next_matching(&mut rx, "a system sample", |e| {
            matches!(e, ProbeEvent::System(_))
        })
        .await;
    }
    assert!(asked.load(Ordering::SeqCst) >= 2);
}

/// Many probes of one target (the same URL declared five times as a service and once
/// as a metrics source) share one turn per 250 ms: declaring a URL again does not
/// multiply the requests.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn probes_of_one_target_share_its_250_ms_turns() {
    let (addr, arrivals) = recording_server().await;
    let url = format!("http://{addr}/svc/1");
    let mut services = Vec::new();
    for n in 0..5 {
        let mut s = service(&format!("copy-{n}"), url.clone());
        s.interval_ms = 250;
        services.push(s);
    }
    let mut metrics = metric_source("m", url.clone());
    metrics.interval_ms = 250;
    let config = MonitorConfig {
        services,
        metrics: vec![metrics],
        ..MonitorConfig::default()
    };
    let (monitor, mut rx) = start(config);
    for n in 0..12 {
        next_matching(&mut rx, &format!("probe {n} of a copy"), |e| {
            matches!(e, ProbeEvent::Service(s) if s.service.starts_with("copy-") && s.health != Health::Unknown)
        })
        .await;
    }
    drop(monitor);
    let mut times: Vec<Instant> = arrivals
        .lock()
        .expect("log")
        .iter()
        .map(|(_, t)| *t)
        .collect();
    times.sort();
    assert!(times.len() >= 12, "{} requests", times.len());
    let gaps = (times.len() - 1) as u32;
    let average = (times[times.len() - 1] - times[0]) / gaps;
    assert!(
        average >= Duration::from_millis(230),
        "one target's requests are {average:?} apart on average (six probes every 250 ms would be ~42 ms)"
    );
}

/// A runbook asking for `interval: 100ms` (or 50 ms for metrics) is probed every
/// 250 ms at the most: each target's requests arrive at least that far apart.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_target_is_probed_more_than_once_per_250_ms() {
    let (addr, arrivals) = recording_server().await;
    let mut fast = service("fast", format!("http://{addr}/svc/1"));
    fast.interval_ms = 100;
    let mut metrics = metric_source("m", format!("http://{addr}/svc/2"));
    metrics.interval_ms = 50;
    let config = MonitorConfig {
        services: vec![fast],
        metrics: vec![metrics],
        ..MonitorConfig::default()
    };
    let (monitor, mut rx) = start(config);
    // Wait for five probes of the service (events, not time): 4 gaps to measure.
    for n in 0..5 {
        next_matching(&mut rx, &format!("probe {n} of `fast`"), |e| {
            service_event(e, "fast").is_some()
        })
        .await;
    }
    drop(monitor);
    let log = arrivals.lock().expect("log").clone();
    for target in [1, 2] {
        let times: Vec<Instant> = log
            .iter()
            .filter(|(i, _)| *i == target)
            .map(|(_, t)| *t)
            .collect();
        assert!(
            times.len() >= 2,
            "target {target}: {} requests",
            times.len()
        );
        // Ticks sit on a 250 ms grid, so the span of n requests is (n - 1) grid
        // steps less the first one's lateness; any one gap may shrink by a late
        // request before it. At 100 ms both bounds fail.
        let gaps = (times.len() - 1) as u32;
        let average = (times[times.len() - 1] - times[0]) / gaps;
        assert!(
            average >= Duration::from_millis(230),
            "target {target}: {average:?} apart on average"
        );
        for pair in times.windows(2) {
            let gap = pair[1] - pair[0];
            assert!(
                gap >= Duration::from_millis(150),
                "target {target}: requests {gap:?} apart"
            );
        }
    }
}
