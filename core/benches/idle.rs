//! Idle cost of watching a demo (prints a table; `cargo bench -p cuedeck-core --bench idle`).
//!
//! What the app's backend does while the presenter talks: 5 health probes at 1 Hz,
//! system sampling (machine + each terminal's process tree) at 1 Hz, and 3 idle
//! terminals. Goal: under 2 % of one core.
//!
//! Measured as this process's own CPU time (getrusage: user + system, all threads)
//! over the same wall time in three phases, so the table shows what each part adds:
//!
//! 1. baseline: 3 idle shells in PTYs, nothing else;
//! 2. + probes: the same, with 5 services probed at 1 Hz;
//! 3. + system: the same, with system sampling at 1 Hz too (the app's idle state).
//!
//! The services are a real `cuedeck demo-service` in another process (its CPU is not
//! ours, as in the app). `CUEDECK_BENCH_IDLE_SECS` sets each phase's length (default 20).

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use cuedeck_core::probe::health;
use cuedeck_core::probe::monitor::{Monitor, MonitorConfig};
use cuedeck_core::probe::system::TerminalSession;
use cuedeck_core::probe::{Health, ProbeEvent};
use cuedeck_core::runbook::{Origin, ServiceProbe};
use cuedeck_core::terminal::{Session, SessionOptions};

const GOAL_PERCENT: f64 = 2.0;

fn phase_length() -> Duration {
    let secs = std::env::var("CUEDECK_BENCH_IDLE_SECS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    Duration::from_secs(secs)
}

/// This process's CPU time so far (user + system, every thread).
fn cpu_time() -> Duration {
    let usage = nix::sys::resource::getrusage(nix::sys::resource::UsageWho::RUSAGE_SELF)
        .expect("getrusage on ourselves");
    let tv = |t: nix::sys::time::TimeVal| {
        Duration::from_secs(u64::try_from(t.tv_sec()).unwrap_or(0))
            + Duration::from_micros(u64::try_from(t.tv_usec()).unwrap_or(0))
    };
    tv(usage.user_time()) + tv(usage.system_time())
}

/// Percent of one core this process used while `wait` passes.
fn measure(wait: Duration) -> f64 {
    let (cpu0, wall0) = (cpu_time(), Instant::now());
    std::thread::sleep(wait);
    let (cpu, wall) = (cpu_time() - cpu0, wall0.elapsed());
    100.0 * cpu.as_secs_f64() / wall.as_secs_f64()
}

/// `cuedeck demo-service --port 0` in its own process; its port once it listens.
struct DemoService {
    child: Child,
    port: u16,
}

impl DemoService {
    fn start() -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_cuedeck"))
            .args(["demo-service", "--port", "0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start cuedeck demo-service");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("demo-service prints where it listens");
        let port = line
            .trim()
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("no port in {line:?}"));
        Self { child, port }
    }
}

impl Drop for DemoService {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn services(port: u16) -> Vec<ServiceProbe> {
    (1..=5)
        .map(|i| ServiceProbe {
            name: format!("service-{i}"),
            url: format!("http://127.0.0.1:{port}/health"),
            interval_ms: 1000,
            timeout_ms: 2000,
            slow_ms: 1000,
            expect_status: 200,
            expect_json: None,
            origin: Origin::Declared,
            line: i,
        })
        .collect()
}

fn main() {
    let wait = phase_length();
    let demo = DemoService::start();
    let shells: Vec<Session> = ["main", "server", "watch"]
        .iter()
        .map(|name| {
            let s = Session::spawn(SessionOptions::named(*name)).expect("spawn a shell");
            s.wait_ready(Duration::from_secs(30)).expect("shell prompt");
            s
        })
        .collect();
    let sessions: Vec<TerminalSession> = shells
        .iter()
        .map(|s| TerminalSession {
            name: s.name().to_string(),
            session_id: s.pid(),
        })
        .collect();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<ProbeEvent>();
    let counter = std::thread::spawn(move || {
        let mut up = 0usize;
        let mut system = 0usize;
        while let Some(event) = rx.blocking_recv() {
            match event {
                ProbeEvent::Service(s) if s.health == Health::Up => up += 1,
                ProbeEvent::System(_) => system += 1,
                _ => {}
            }
        }
        (up, system)
    });

    // Let the shells settle (their rc files ran) before measuring.
    std::thread::sleep(Duration::from_secs(2));
    let baseline = measure(wait);

    let probes_only = MonitorConfig {
        services: services(demo.port),
        metrics: Vec::new(),
        system_interval: None,
        terminals: Arc::new(Vec::new),
    };
    let client = health::http_client().expect("HTTP client");
    let mut monitor = Monitor::start(runtime.handle(), client, probes_only, Arc::new(tx.clone()));
    let with_probes = measure(wait);

    let sampled = sessions.clone();
    monitor.reconfigure(MonitorConfig {
        services: services(demo.port),
        metrics: Vec::new(),
        system_interval: Some(Duration::from_secs(1)),
        terminals: Arc::new(move || sampled.clone()),
    });
    let with_system = measure(wait);
    monitor.stop();
    drop(tx);
    drop(monitor);
    let (up, system) = counter.join().expect("counter thread");

    println!("\nidle cost: 3 idle terminals, 5 probes at 1 Hz, system sampling at 1 Hz");
    println!("each phase {} s of wall time\n", wait.as_secs());
    println!(
        "{:<40} {:>14} {:>12}",
        "phase", "% of one core", "vs baseline"
    );
    println!("{}", "-".repeat(68));
    for (name, percent) in [
        ("3 idle terminals (baseline)", baseline),
        ("+ 5 health probes at 1 Hz", with_probes),
        ("+ system sampling at 1 Hz (app idle)", with_system),
    ] {
        println!("{name:<40} {percent:>13.2}% {:>+11.2}%", percent - baseline);
    }
    println!(
        "\nprobe answers up: {up}, system samples: {system}; goal: app idle < {GOAL_PERCENT} % -> {}",
        if with_system < GOAL_PERCENT { "met" } else { "NOT MET" }
    );
    for s in shells {
        s.close();
    }
    runtime.shutdown_timeout(Duration::from_secs(2));
}
