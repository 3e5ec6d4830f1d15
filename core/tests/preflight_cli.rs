//! `cuedeck check --preflight`: tools, ports, services and checklist items checked
//! against this machine, with real listeners and a real HTTP server.

mod cli_common;

use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpListener};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// A tiny HTTP server answering 200 to everything, until dropped.
struct Healthy {
    port: u16,
    stop: Arc<AtomicBool>,
}

impl Healthy {
    fn start() -> Self {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = Arc::clone(&stop);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stopping.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(mut stream) = stream else { continue };
                let mut buf = [0u8; 1024];
                let _ = stream.read(&mut buf);
                let _ = stream.write_all(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 15\r\nConnection: close\r\n\r\n{\"status\":\"ok\"}",
                );
            }
        });
        Self { port, stop }
    }
}

impl Drop for Healthy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so its thread ends.
        let _ = std::net::TcpStream::connect((Ipv4Addr::LOCALHOST, self.port));
    }
}

/// A port nothing listens on: bound, then released.
fn closed_port() -> u16 {
    let l = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind");
    l.local_addr().expect("addr").port()
}

fn scratch(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("cuedeck-preflight-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("tmp dir");
    let path = dir.join("runbook.md");
    std::fs::write(&path, text).expect("write runbook");
    path
}

fn preflight(path: &std::path::Path) -> (i32, serde_json::Value, String) {
    let (code, out, err) = cli_common::cuedeck(
        "check",
        &["--preflight", "--json", &path.display().to_string()],
    );
    let report = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}\n{err}"));
    (code, report, err)
}

fn item<'a>(report: &'a serde_json::Value, kind: &str, subject: &str) -> &'a serde_json::Value {
    report["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|i| {
            i["kind"] == kind
                && i["subject"]
                    .as_str()
                    .is_some_and(|s| s.starts_with(subject))
        })
        .unwrap_or_else(|| panic!("no {kind} item {subject}: {report:#}"))
}

#[test]
fn lists_what_is_there_and_says_why_the_rest_is_missing() {
    let healthy = Healthy::start();
    let down = closed_port();
    let held = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind");
    let held_port = held.local_addr().expect("addr").port();
    let runbook = format!(
        "---\nservices:\n  - {{ name: api, url: \"http://127.0.0.1:{up}/health\", field: status, value: ok }}\n  - {{ name: billing, url: \"http://127.0.0.1:{down}/health\", timeout: 500ms }}\n---\n\
         # Pre-flight\n\n## Tools\n\n```bash\nls /\ncuedeck-no-such-tool --version\n```\n\n\
         ## Server\n\n```bash\npython3 -m http.server {held_port}\n```\n\n\
         ## Checklist\n\n- [ ] Backup video recorded\n- [x] Slides uploaded\n- [ ] Test clients ready (wscat installed)\n- [ ] api is up\n",
        up = healthy.port,
    );
    let path = scratch("mixed", &runbook);
    let (code, report, err) = preflight(&path);
    assert_eq!(code, 1, "something is missing: {report:#}\n{err}");

    assert_eq!(item(&report, "tool", "python3")["status"], "ok");
    // Tools every system has are listed only when missing.
    assert!(!report["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|i| i["subject"] == "ls"));
    let missing = item(&report, "tool", "cuedeck-no-such-tool");
    assert_eq!(missing["status"], "missing");
    assert!(missing["detail"]
        .as_str()
        .unwrap()
        .contains("not on PATH (used by step \"Tools\")"));

    let port = item(&report, "port", &held_port.to_string());
    assert_eq!(port["status"], "missing");
    let detail = port["detail"].as_str().unwrap();
    assert!(
        detail.contains("in use by pid"),
        "names who holds it: {detail}"
    );

    assert_eq!(item(&report, "service", "api")["status"], "ok");
    // The runbook starts a server, so a service down now is expected later.
    let billing = item(&report, "service", "billing");
    assert_eq!(billing["status"], "later", "{billing}");
    assert!(billing["detail"]
        .as_str()
        .unwrap()
        .contains("step \"Server\""));

    assert_eq!(
        item(&report, "checklist", "Backup video")["status"],
        "manual"
    );
    assert_eq!(
        item(&report, "checklist", "Slides uploaded")["status"],
        "ok"
    );
    assert_eq!(item(&report, "checklist", "api is up")["status"], "ok");
    drop(held);
    let _ = std::fs::remove_dir_all(path.parent().unwrap());
}

#[test]
fn a_service_nobody_starts_must_be_up() {
    let down = closed_port();
    let free = closed_port();
    let runbook = format!(
        "---\nservices:\n  - {{ name: api, url: \"http://127.0.0.1:{down}/health\", timeout: 500ms }}\n---\n\
         # Ready\n\n## Use it\n\n```bash\necho ok\n```\n\n## Before\n\n- [ ] Free local port {free}\n"
    );
    let path = scratch("down", &runbook);
    let (code, report, _) = preflight(&path);
    assert_eq!(code, 1);
    let api = item(&report, "service", "api");
    assert_eq!(api["status"], "missing");
    assert!(
        api["detail"]
            .as_str()
            .unwrap()
            .starts_with("not reachable: "),
        "{api}"
    );
    let free_item = item(&report, "checklist", "Free local port");
    assert_eq!(free_item["status"], "ok", "{free_item}");

    // The human table says the same, one row per item.
    let (code, out, _) =
        cli_common::cuedeck("check", &["--preflight", &path.display().to_string()]);
    assert_eq!(code, 1);
    assert!(out.contains("MISSING  service    api"), "{out}");
    let _ = std::fs::remove_dir_all(path.parent().unwrap());
}

#[test]
fn nothing_missing_exits_zero() {
    let path = scratch("clean", "# Clean\n\n## Hello\n\n```bash\necho hello\n```\n");
    let (code, report, _) = preflight(&path);
    assert_eq!(code, 0, "{report:#}");
    let _ = std::fs::remove_dir_all(path.parent().unwrap());
}

#[test]
fn ports_of_services_the_runbook_starts_must_be_free_unless_already_up() {
    let healthy = Healthy::start();
    let free = closed_port();
    let runbook = format!(
        "# Stack\n\n## Start\n\n```bash\ndocker compose up -d\n```\n\n## Check\n\n```bash\n\
         curl -s http://localhost:{up}/health\ncurl -s http://localhost:{free}/health\n```\n",
        up = healthy.port
    );
    let path = scratch("stack", &runbook);
    let (code, report, _) = preflight(&path);
    let up = item(&report, "port", &healthy.port.to_string());
    assert_eq!(up["status"], "ok", "{up}");
    assert!(
        up["detail"].as_str().unwrap().contains("already answers"),
        "{up}"
    );
    let free_port = item(&report, "port", &free.to_string());
    assert_eq!(free_port["status"], "ok");
    assert!(free_port["detail"]
        .as_str()
        .unwrap()
        .starts_with("free (step \"Start\""));
    let later = item(&report, "service", &format!("localhost:{free}"));
    assert_eq!(later["status"], "later");
    assert_eq!(code, if which_docker() { 0 } else { 1 }, "{report:#}");
    let _ = std::fs::remove_dir_all(path.parent().unwrap());
}

fn which_docker() -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join("docker").is_file()))
}
