//! The built-in demo service, served for real on 127.0.0.1 and driven over HTTP: its
//! endpoints, its metrics (checked for well-formed exposition), its faults, and the
//! `cuedeck demo-service` command (ready line, SIGTERM, busy port).

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use cuedeck_core::demo_service;
use serde_json::Value;

/// A demo service on a free port, stopped when dropped.
struct Served {
    base: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    runtime: tokio::runtime::Runtime,
}

impl Served {
    fn start() -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        runtime.spawn(demo_service::serve(listener, async move {
            let _ = stopped.await;
        }));
        Self {
            base: format!("http://127.0.0.1:{port}"),
            stop: Some(stop),
            runtime,
        }
    }

    fn client(&self, timeout: Duration) -> reqwest::Client {
        reqwest::Client::builder()
            .no_proxy()
            .timeout(timeout)
            .build()
            .expect("client")
    }

    fn get(&self, path: &str) -> (u16, String) {
        self.request(reqwest::Method::GET, path, Duration::from_secs(10))
            .expect("request answered")
    }

    fn post(&self, path: &str) -> (u16, String) {
        self.request(reqwest::Method::POST, path, Duration::from_secs(10))
            .expect("request answered")
    }

    /// A request carrying the `Origin` header a browser would send from `origin`.
    fn request_from(&self, method: reqwest::Method, path: &str, origin: &str) -> (u16, String) {
        let client = self.client(Duration::from_secs(10));
        let url = format!("{}{path}", self.base);
        self.runtime
            .block_on(async move {
                let response = client
                    .request(method, url)
                    .header("Origin", origin)
                    .send()
                    .await?;
                let code = response.status().as_u16();
                Ok::<_, reqwest::Error>((code, response.text().await?))
            })
            .expect("request answered")
    }

    fn port(&self) -> &str {
        self.base.rsplit(':').next().unwrap_or_default()
    }

    fn request(
        &self,
        method: reqwest::Method,
        path: &str,
        timeout: Duration,
    ) -> Result<(u16, String), reqwest::Error> {
        let client = self.client(timeout);
        let url = format!("{}{path}", self.base);
        self.runtime.block_on(async move {
            let response = client.request(method, url).send().await?;
            let code = response.status().as_u16();
            Ok((code, response.text().await?))
        })
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

#[test]
fn health_answers_ok_with_uptime() {
    let s = Served::start();
    let (code, body) = s.get("/health");
    assert_eq!(code, 200);
    let v = json(&body);
    assert_eq!(v["status"], "ok");
    assert!(v["uptimeSeconds"].is_number());
}

#[test]
fn work_is_counted_in_both_metrics_documents() {
    let s = Served::start();
    for _ in 0..5 {
        assert_eq!(s.get("/work?ms=1").0, 200);
    }
    let summary = json(&s.get("/_metrics").1);
    assert_eq!(summary["requests"], 5);
    assert_eq!(summary["errors"], 0);
    assert!(summary["rps"].as_f64().unwrap() > 0.0);
    assert!(summary["p95_ms"].as_f64().unwrap() >= 1.0);
    let (code, text) = s.get("/metrics");
    assert_eq!(code, 200);
    assert!(
        text.contains("demo_requests_total{route=\"/work\",code=\"200\"} 5\n"),
        "{text}"
    );
    assert!(
        text.contains("demo_request_duration_seconds_count 5\n"),
        "{text}"
    );
}

/// Checks the structure the exposition format requires: every sample's family has a
/// TYPE, histogram buckets are cumulative and end with +Inf equal to `_count`.
fn check_exposition(text: &str) {
    let mut types: BTreeMap<String, String> = BTreeMap::new();
    let mut buckets: Vec<(String, f64)> = Vec::new();
    let mut count = None;
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').expect("TYPE name kind");
            types.insert(name.to_string(), kind.to_string());
            continue;
        }
        if line.starts_with('#') || line.is_empty() {
            continue;
        }
        let (series, value) = line.rsplit_once(' ').expect("sample value");
        let value: f64 = value.parse().unwrap_or_else(|_| panic!("number in {line}"));
        let name = series.split('{').next().unwrap_or(series);
        let family = ["_bucket", "_sum", "_count"]
            .iter()
            .find_map(|s| {
                name.strip_suffix(s)
                    .filter(|f| types.get(*f).is_some_and(|t| t == "histogram"))
            })
            .unwrap_or(name);
        assert!(types.contains_key(family), "no TYPE for {family}: {line}");
        if name.ends_with("_bucket") {
            let le = series
                .split("le=\"")
                .nth(1)
                .and_then(|r| r.split('"').next())
                .expect("le");
            buckets.push((le.to_string(), value));
        }
        if name == "demo_request_duration_seconds_count" {
            count = Some(value);
        }
    }
    assert!(
        buckets.windows(2).all(|w| w[0].1 <= w[1].1),
        "cumulative: {buckets:?}"
    );
    let last = buckets.last().expect("buckets");
    assert_eq!(last.0, "+Inf");
    assert_eq!(Some(last.1), count);
    let kinds: BTreeSet<&str> = types.values().map(String::as_str).collect();
    assert_eq!(kinds, BTreeSet::from(["counter", "gauge", "histogram"]));
}

#[test]
fn prometheus_text_is_well_formed() {
    let s = Served::start();
    for ms in [1, 20, 60] {
        s.get(&format!("/work?ms={ms}"));
    }
    s.post("/admin/fault?error=1");
    s.get("/work?ms=1");
    check_exposition(&s.get("/metrics").1);
}

#[test]
fn error_fault_fails_requests_at_its_rate_and_clearing_restores() {
    let s = Served::start();
    let (code, body) = s.post("/admin/fault?error=0.5");
    assert_eq!(code, 200, "{body}");
    let codes: Vec<u16> = (0..10).map(|_| s.get("/work?ms=1").0).collect();
    assert_eq!(codes.iter().filter(|c| **c == 503).count(), 5, "{codes:?}");
    s.post("/admin/fault?error=1");
    let (code, body) = s.get("/health");
    assert_eq!(code, 503);
    assert_eq!(json(&body)["status"], "failing");
    assert_eq!(json(&s.get("/admin/fault").1)["errorRate"], 1.0);
    assert_eq!(s.post("/admin/fault/clear").0, 200);
    assert_eq!(s.get("/health").0, 200);
    let text = s.get("/metrics").1;
    assert!(
        text.contains("demo_fault_active{kind=\"error\"} 0\n"),
        "{text}"
    );
    assert!(
        text.contains("demo_requests_total{route=\"/health\",code=\"503\"} 1\n"),
        "{text}"
    );
}

#[test]
fn admin_requests_from_another_origin_are_refused_and_do_nothing() {
    use reqwest::Method;
    let s = Served::start();
    let port = s.port().to_string();
    let hostile = [
        "http://evil.example",
        "null",
        "http://127.0.0.1:1",
        "https://127.0.0.1:{port}",
        "http://localhost.evil.example:{port}",
    ];
    for origin in hostile {
        let origin = origin.replace("{port}", &port);
        for (method, path) in [
            (Method::POST, "/admin/fault?error=1&hang=true"),
            (Method::DELETE, "/admin/fault"),
            (Method::POST, "/admin/fault/clear"),
            (Method::GET, "/admin/fault"),
        ] {
            let (code, body) = s.request_from(method.clone(), path, &origin);
            assert_eq!(code, 403, "{method} {path} from {origin}: {body}");
            assert!(body.contains("may not use /admin"), "{body}");
        }
    }
    // Nothing was injected: the service is healthy and reports no fault.
    assert_eq!(s.get("/health").0, 200);
    assert_eq!(json(&s.get("/admin/fault").1)["errorRate"], 0.0);
    // Its own origin (either spelling), and tools that send none, still work.
    let own = format!("http://localhost:{port}");
    let (code, body) = s.request_from(Method::POST, "/admin/fault?error=1", &own);
    assert_eq!(code, 200, "{body}");
    assert_eq!(s.get("/health").0, 503);
    let own = format!("http://127.0.0.1:{port}");
    assert_eq!(s.request_from(Method::DELETE, "/admin/fault", &own).0, 200);
    assert_eq!(s.get("/health").0, 200);
    // Non-admin routes do not care about Origin (a dashboard may read metrics).
    assert_eq!(
        s.request_from(Method::GET, "/health", "http://evil.example")
            .0,
        200
    );
}

#[test]
fn latency_fault_delays_answers() {
    let s = Served::start();
    s.post("/admin/fault?latency=300ms");
    let started = Instant::now();
    assert_eq!(s.get("/health").0, 200);
    assert!(started.elapsed() >= Duration::from_millis(300));
    let (code, _) = s
        .request(
            reqwest::Method::DELETE,
            "/admin/fault",
            Duration::from_secs(5),
        )
        .expect("cleared");
    assert_eq!(code, 200);
}

#[test]
fn hang_fault_holds_requests_while_admin_still_answers() {
    let s = Served::start();
    s.post("/admin/fault?hang=true");
    let hung = s.request(reqwest::Method::GET, "/health", Duration::from_millis(500));
    assert!(
        hung.is_err_and(|e| e.is_timeout()),
        "a hung request times out"
    );
    let (code, body) = s.get("/admin/fault");
    assert_eq!(code, 200);
    assert_eq!(json(&body)["hang"], true);
    assert!(s
        .get("/metrics")
        .1
        .contains("demo_fault_active{kind=\"hang\"} 1\n"));
    s.post("/admin/fault/clear");
    assert_eq!(s.get("/health").0, 200);
}

#[test]
fn bad_fault_parameters_get_a_clear_400() {
    let s = Served::start();
    let (code, body) = s.post("/admin/fault?latency=soon");
    assert_eq!(code, 400);
    assert!(json(&body)["error"]
        .as_str()
        .unwrap()
        .contains("latency must be a duration"));
    let (code, body) = s.post("/admin/fault");
    assert_eq!(code, 400, "{body}");
}

/// `cuedeck demo-service` as a process; killed when dropped, whatever happened.
struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn spawn_cli(port: u16) -> (Process, BufReader<std::process::ChildStdout>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_cuedeck"))
        .args(["demo-service", "--port", &port.to_string()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cuedeck runs");
    let stdout = child.stdout.take().expect("stdout");
    (Process(child), BufReader::new(stdout))
}

#[test]
fn the_command_says_where_it_listens_and_stops_on_sigterm() {
    let (mut process, mut stdout) = spawn_cli(0);
    // read_line returns at the first line, or at EOF if the process died.
    let mut line = String::new();
    stdout.read_line(&mut line).expect("a line");
    let port: u16 = line
        .trim()
        .strip_prefix("demo-service listening on http://127.0.0.1:")
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("ready line: {line:?}"));
    let body = get_health(port);
    assert!(body.contains("\"status\":\"ok\""), "{body}");

    // A second one on the same port says which port is taken, exit code 2.
    let (mut busy, _) = spawn_cli(port);
    let status = busy.0.wait().expect("exits");
    assert_eq!(status.code(), Some(2));
    let mut err = String::new();
    std::io::Read::read_to_string(busy.0.stderr.as_mut().expect("stderr"), &mut err)
        .expect("stderr");
    assert!(
        err.contains(&format!("port {port} is already in use")),
        "{err}"
    );

    let pid = nix::unistd::Pid::from_raw(i32::try_from(process.0.id()).expect("pid"));
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).expect("SIGTERM");
    let status = process.0.wait().expect("exits");
    assert_eq!(status.code(), Some(0), "a clean stop");
}

/// GET /health on `port` from a test thread.
fn get_health(port: u16) -> String {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        reqwest::Client::builder()
            .no_proxy()
            .build()
            .expect("client")
            .get(format!("http://127.0.0.1:{port}/health"))
            .send()
            .await
            .expect("answered")
            .text()
            .await
            .expect("body")
    })
}

#[test]
fn the_command_refuses_to_listen_beyond_loopback() {
    let out = Command::new(env!("CARGO_BIN_EXE_cuedeck"))
        .args(["demo-service", "--host", "0.0.0.0", "--port", "0"])
        .output()
        .expect("cuedeck runs");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("loopback only"), "{err}");
}
