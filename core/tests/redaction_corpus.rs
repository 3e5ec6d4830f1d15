//! The redaction corpus: a runbook whose steps print secrets in every hostile way we
//! know (colours inside the secret, `\r` and backspace overwrites, a 5 000-byte line
//! across the 4 096-byte hold limit, pieces with pauses, a line split by another
//! terminal's step markers, OSC titles, tabs, UTF-8, wrapping, stderr, failure
//! messages, hidden setup lines, the `redact` cell attribute in both forms, probe
//! bodies) is rehearsed, exported and snapshotted through the real CLI; then every
//! file written, and everything the CLI printed, is searched for any 4-character
//! fragment of any secret. A second test does the same for a secret split by a
//! resize and a marker in a live session's cast.
//!
//! The secrets never appear in a command either: the shell gets them from the front
//! matter's `env`, so what the terminal echoes of a typed command holds none of them.
//! Each has a `-` in every 4 characters, so no fragment can turn up by chance in the
//! base64 of a bundle's images and fonts.

mod terminal_common;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Masked by the front matter's pattern.
const SEC_A: &str = "zq9-xk7-vwq-j3m-pp8";
/// Masked only by a block's `{"redact": [...]}` attribute.
const SEC_B: &str = "hw4-ryb-6ng-d2f-cx5";
/// Printed by a `{"redact": true}` block: no pattern names it, and the runbook does
/// not hold it (the block reads it from a file, as a program prints a token): every
/// other place the runbook's text goes (the trust sheet, the bundle) shows no secret.
const SEC_C: &str = "tj8-mvq-2zk-w7h-rx3";
/// Served in a probe's body (front matter pattern).
const SEC_D: &str = "uf7-pk3-eqm-9yw-b2c";

const ALL: [&str; 4] = [SEC_A, SEC_B, SEC_C, SEC_D];

/// Every 4-character window of every secret.
fn fragments() -> Vec<String> {
    let mut out = Vec::new();
    for s in ALL {
        let chars: Vec<char> = s.chars().collect();
        for w in chars.windows(4) {
            out.push(w.iter().collect());
        }
    }
    out
}

/// The fragments found in `text`, named by `what`.
fn leaks(what: &str, text: &str) -> Vec<String> {
    fragments()
        .into_iter()
        .filter(|f| text.contains(f.as_str()))
        .map(|f| {
            let at = text.find(f.as_str()).unwrap_or(0);
            let from = text[..at]
                .char_indices()
                .rev()
                .nth(40)
                .map_or(0, |(i, _)| i);
            let to = text[at..]
                .char_indices()
                .nth(40)
                .map_or(text.len(), |(i, _)| at + i);
            format!("{what}: `{f}` in {:?}", &text[from..to])
        })
        .collect()
}

/// Every file under `dir`, recursively, except `skip`.
fn files(dir: &Path, skip: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read dir") {
        let path = entry.expect("dir entry").path();
        if path == skip {
            continue;
        }
        if path.is_dir() {
            files(&path, skip, out);
        } else {
            out.push(path);
        }
    }
}

/// A loopback HTTP server for the probes: `/health` answers 200 with the secret as
/// the JSON field the runbook checks, `/broken` a 500 with the secret in its body.
/// Stops when the returned flag is set (it polls a non-blocking listener).
fn probe_server() -> (u16, Arc<AtomicBool>, std::thread::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.set_nonblocking(true).expect("non-blocking");
    let port = listener.local_addr().expect("addr").port();
    let stop = Arc::new(AtomicBool::new(false));
    let stopping = Arc::clone(&stop);
    let thread = std::thread::spawn(move || {
        while !stopping.load(Ordering::SeqCst) {
            match listener.accept() {
                Ok((mut conn, _)) => {
                    let _ = conn.set_nonblocking(false);
                    let _ = conn.set_read_timeout(Some(Duration::from_secs(2)));
                    let mut buf = [0u8; 2048];
                    let n = conn.read(&mut buf).unwrap_or(0);
                    let request = String::from_utf8_lossy(&buf[..n]);
                    let (status, body) = if request.starts_with("GET /broken") {
                        ("500 Internal Server Error", format!("boom: key {SEC_D}\n"))
                    } else {
                        ("200 OK", format!("{{\"status\":\"{SEC_D}\"}}"))
                    };
                    let reply = format!(
                        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = conn.write_all(reply.as_bytes());
                }
                Err(_) => std::thread::sleep(Duration::from_millis(10)),
            }
        }
    });
    (port, stop, thread)
}

fn runbook(port: u16, dir: &Path) -> String {
    let d = dir.display();
    format!(
        r#"---
title: Redaction corpus
shell: bash
env:
  SEC_A: "{SEC_A}"
  SEC_B: "{SEC_B}"
  D: "{d}"
services:
  - {{ name: api, url: "http://127.0.0.1:{port}/health", interval: 1s, expect: 200, field: status, value: ok }}
  - {{ name: broken, url: "http://127.0.0.1:{port}/broken", interval: 1s, expect: 200 }}
redact: ["zq9-xk7-[a-z0-9-]+", "uf7-pk3-[a-z0-9-]+"]
---
# Corpus

## Plain

```bash
echo "token=$SEC_A"
```

## Grep colours every digit

```bash
echo "key $SEC_A end" | grep --color=always '[0-9]'
```

## SGR inside

```bash
printf '%s\033[1;31m%s\033[0m%s\n' "${{SEC_A:0:5}}" "${{SEC_A:5:6}}" "${{SEC_A:11}}"
```

## CR overwrite puts it together

```bash
printf 'xxxx%s\r%s\n' "${{SEC_A:4}}" "${{SEC_A:0:4}}"
```

## CR progress redraws

```bash
for i in 1 2 3; do printf '\r%s %d%%' "$SEC_A" "$i"; done; printf '\r%20s\r\n' ''
```

## Backspace overwrite

```bash
printf '%sX\b%s\n' "${{SEC_A:0:7}}" "${{SEC_A:7}}"
```

## Long line cut mid-secret past the hold limit

```bash
head -c 4090 /dev/zero | tr '\0' y; printf '%s' "${{SEC_A:0:8}}"; sleep 0.3; printf '%s' "${{SEC_A:8}}"; head -c 886 /dev/zero | tr '\0' y; echo
```

## Long line in one go

```bash
{{ head -c 4090 /dev/zero | tr '\0' y; printf '%s' "$SEC_A"; head -c 894 /dev/zero | tr '\0' y; echo; }}
```

## Slow pieces

```bash
printf 'slow %s' "${{SEC_A:0:5}}"; sleep 0.3; printf '%s' "${{SEC_A:5:5}}"; sleep 0.3; printf '%s\n' "${{SEC_A:10}}"
```

## OSC title

```bash
printf '\033]0;title %s\007shown\n' "$SEC_A"
```

## Tabs

```bash
printf 'k\t%s\tv\n' "$SEC_A"
```

## UTF-8 around

```bash
printf 'ключ→%s←é 🎉\n' "$SEC_A"
```

## Wrapped at the terminal's width

```bash
printf '%72s%s\n' '' "$SEC_A"
```

## On stderr

```bash
echo "err $SEC_A" >&2
```

## Fails with it

```bash
echo "fail $SEC_A"; false
```

## Hidden setup fails with it

```bash
#| echo "setup $SEC_A"; false
echo after-setup
```

## Cell attribute list

```bash {{"redact": ["hw4-ryb-[a-z0-9-]+"]}}
echo "b=$SEC_B"; printf '%s\033[32m%s\033[0m\n' "${{SEC_B:0:5}}" "${{SEC_B:5}}"
```

## Cell attribute true

```bash {{"redact": true}}
SEC_C=$(cat "$HOME/sec-c.txt"); echo "$SEC_C"; printf 'c:%s\n' "${{SEC_C:0:6}}"; printf '%s' "${{SEC_C:6}}"
```

## Background half a line

```bash {{"background": true, "terminal": "bg", "expect": "bg-up"}}
echo bg-up; printf 'bg %s' "${{SEC_A:0:8}}"; touch "$D/half"; until [ -e "$D/go" ]; do sleep 0.05; done; printf '%s\n' "${{SEC_A:8}}"; touch "$D/done"
```

## Markers land in the middle

```bash
until [ -e "$D/half" ]; do sleep 0.05; done; echo half-seen
```

## The rest follows

```bash
touch "$D/go"; until [ -e "$D/done" ]; do sleep 0.05; done; echo bg-finished
```

## Probe error in a gate

```bash {{"waitFor": "api", "timeout": "3s"}}
echo never-runs
```
"#
    )
}

/// A home of our own: a plain prompt, and none of the user's rc files.
fn home(dir: &Path) -> PathBuf {
    let home = dir.join("home");
    std::fs::create_dir_all(&home).expect("home");
    std::fs::write(home.join(".bashrc"), "PS1='corpus$ '\n").expect("bashrc");
    std::fs::write(home.join(".bash_profile"), ". ~/.bashrc\n").expect("profile");
    home
}

/// Runs `cuedeck ARGS...` with logs on: exit code, stdout, and stdout and stderr.
fn cuedeck(home: &Path, cwd: &Path, args: &[&str]) -> (i32, String) {
    let (code, out, _) = cuedeck_out(home, cwd, args);
    (code, out)
}

fn cuedeck_out(home: &Path, cwd: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_cuedeck"))
        .args(args)
        .current_dir(cwd)
        .env("HOME", home)
        .env("CUEDECK_LOG", "debug")
        .output()
        .expect("the cuedeck binary runs");
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    (out.status.code().unwrap_or(-1), printed, stdout)
}

#[test]
fn no_fragment_of_a_secret_reaches_any_artifact() {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path().canonicalize().expect("canonical tmp");
    let home = home(&dir);
    let (port, stop, server) = probe_server();
    let path = dir.join("runbook.md");
    std::fs::write(&path, runbook(port, &dir)).expect("write runbook");
    std::fs::write(home.join("sec-c.txt"), SEC_C).expect("the block's secret");
    let rb = path.display().to_string();
    let mut problems = Vec::new();

    let (code, printed) = cuedeck(&home, &dir, &["check", &rb]);
    assert!(code == 0, "cuedeck check:\n{printed}");

    // `--json`: the report carries each command's plain-text output too, whose text
    // model reads a line as the screen shows it after `\r` and backspace overwrites,
    // so a secret put together by an overwrite is whole there and masked.
    let (code, printed, stdout) = cuedeck_out(&home, &dir, &["rehearse", "--json", &rb]);
    stop.store(true, Ordering::SeqCst);
    server.join().expect("server thread");
    problems.extend(leaks("rehearse --json output", &printed));
    assert_eq!(code, 1, "the failing steps fail the rehearsal\n{printed}");
    let report: serde_json::Value = serde_json::from_str(&stdout).expect("a JSON report");
    let folder = PathBuf::from(report["rehearsal"].as_str().expect("the rehearsal folder"));
    let manifest: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(folder.join("manifest.json")).expect("manifest"),
    )
    .expect("manifest JSON");
    let steps: Vec<String> = manifest["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .filter_map(|s| s["id"].as_str().map(str::to_owned))
        .collect();
    assert!(steps.len() >= 20, "{steps:?}");
    let status = |title: &str| {
        manifest["steps"]
            .as_array()
            .and_then(|a| a.iter().find(|s| s["title"] == title))
            .map(|s| s["status"].as_str().unwrap_or("").to_owned())
            .unwrap_or_default()
    };
    assert_eq!(status("The rest follows"), "ok", "{printed}");
    assert_eq!(status("Fails with it"), "failed");

    let (code, printed) = cuedeck(
        &home,
        &dir,
        &[
            "export",
            &rb,
            "-o",
            &dir.join("bundle.html").display().to_string(),
        ],
    );
    assert_eq!(code, 0, "{printed}");
    problems.extend(leaks("export output", &printed));
    let (code, printed) = cuedeck(
        &home,
        &dir,
        &[
            "export",
            &folder.display().to_string(),
            "--notes",
            "--dir",
            &dir.join("bundle-dir").display().to_string(),
        ],
    );
    assert_eq!(code, 0, "{printed}");
    problems.extend(leaks("export --dir output", &printed));

    let snaps = dir.join("snaps");
    std::fs::create_dir_all(&snaps).expect("snaps");
    for (i, id) in steps.iter().enumerate() {
        for terminal in ["main", "bg"] {
            let out = snaps.join(format!("{i}-{terminal}.svg"));
            let (_, printed) = cuedeck(
                &home,
                &dir,
                &[
                    "snapshot",
                    &rb,
                    "--step",
                    id,
                    "--terminal",
                    terminal,
                    "-o",
                    &out.display().to_string(),
                ],
            );
            problems.extend(leaks("snapshot output", &printed));
        }
        // From the folder too: only the recording's own masks apply.
        let out = snaps.join(format!("{i}-folder.svg"));
        let _ = cuedeck(
            &home,
            &dir,
            &[
                "snapshot",
                &folder.display().to_string(),
                "--step",
                id,
                "-o",
                &out.display().to_string(),
            ],
        );
    }

    let mut written = Vec::new();
    files(&dir, &path, &mut written);
    let svgs = written
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "svg"))
        .count();
    assert!(svgs >= steps.len(), "snapshots written: {svgs}");
    for kind in ["cast", "jsonl", "json", "html", "png"] {
        assert!(
            written
                .iter()
                .any(|p| p.extension().is_some_and(|e| e == kind)),
            "no .{kind} written: {written:?}"
        );
    }
    for file in &written {
        if file.starts_with(&home) {
            continue;
        }
        let bytes = std::fs::read(file).expect("read artifact");
        let text = String::from_utf8_lossy(&bytes);
        problems.extend(leaks(&file.display().to_string(), &text));
    }
    // The corpus must have reached the artifacts at all: masks stand where secrets were.
    let main_cast = std::fs::read_to_string(folder.join("main.cast")).expect("main cast");
    assert!(
        main_cast.contains("token=*******************"),
        "no mask seen"
    );
    let samples = std::fs::read_to_string(folder.join("samples.jsonl")).expect("samples");
    assert!(samples.contains("\"service\":\"api\""), "api probed");
    assert!(
        problems.is_empty(),
        "{} leaks:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

mod live {
    //! A secret split by a resize and a marker in a real session's cast and live
    //! (audience) stream: the line is held until it ends, so it is matched whole.

    use super::*;
    use cuedeck_core::record::cast::Header;
    use cuedeck_core::record::live_redact::redacting_sink;
    use cuedeck_core::record::redact::Redactor;
    use cuedeck_core::record::writer::{CastFile, CastSink};
    use cuedeck_core::terminal::{Acknowledge, OutputSink, TermSize};

    #[derive(Default)]
    struct Seen(Vec<u8>);

    struct Collect(Arc<Mutex<Seen>>);

    impl OutputSink for Collect {
        fn on_output(&mut self, bytes: &[u8], _at: Duration) {
            self.0.lock().unwrap().0.extend_from_slice(bytes);
        }
    }

    #[test]
    fn a_secret_split_by_a_resize_and_a_marker_is_masked_whole() {
        let (session, home) = terminal_common::session("corpus");
        let redactor = Arc::new(Redactor::new(&["zq9-xk7-[a-z0-9-]+".into()]));
        let cast_path = home.path().join("live.cast");
        let cast = CastFile::create(
            &cast_path,
            &Header::v2(80, 24),
            Instant::now(),
            Arc::clone(&redactor),
        )
        .expect("cast");
        let cast = Arc::new(Mutex::new(cast));
        session.add_sink(Box::new(CastSink(Arc::clone(&cast))), Acknowledge::Never);
        let raw = Arc::new(Mutex::new(Seen::default()));
        session.add_sink(Box::new(Collect(Arc::clone(&raw))), Acknowledge::Never);
        let live = Arc::new(Mutex::new(Seen::default()));
        let sink = redacting_sink(Arc::clone(&redactor), Box::new(Collect(Arc::clone(&live))));
        session.add_sink(sink, Acknowledge::Never);

        // The secret is put together in the shell from 3-character pieces, so its
        // typed command holds no fragment of it; `read -s` waits without echoing.
        let command = "S=$(printf %s zq9 -xk 7-v wq- j3m -pp 8); printf 'half %s' \"${S:0:8}\"; \
                       read -rsn1 _; printf '%s done\\n' \"${S:8}\"\n";
        session.write(command.as_bytes()).expect("type");
        let deadline = Instant::now() + terminal_common::WAIT;
        while !String::from_utf8_lossy(&raw.lock().unwrap().0).contains("half zq9-xk7-") {
            assert!(Instant::now() < deadline, "the first half never came");
            std::thread::sleep(Duration::from_millis(10));
        }
        session
            .resize(TermSize {
                rows: 30,
                cols: 100,
            })
            .expect("resize");
        session.mark("start between");
        session.write(b"x").expect("continue");
        while !String::from_utf8_lossy(&raw.lock().unwrap().0).contains("pp8 done") {
            assert!(Instant::now() < deadline, "the second half never came");
            std::thread::sleep(Duration::from_millis(10));
        }
        session.mark("end between");
        cuedeck_core::record::writer::lock(&cast).finish();
        let text = std::fs::read_to_string(&cast_path).expect("read cast");
        let problems = leaks("cast", &text);
        assert!(text.contains("\"r\""), "the resize is in the cast: {text}");
        assert!(text.contains("start between"), "{text}");
        // The live view: what came after the pause is masked whole (what was shown
        // before it could not be taken back: see `live_redact`'s module docs).
        let shown = || String::from_utf8_lossy(&live.lock().unwrap().0).into_owned();
        while !shown().contains(" done\r\n") {
            assert!(
                Instant::now() < deadline,
                "the live view never ended the line"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
        assert!(!shown().contains("j3m-pp8"), "{:?}", shown());
        drop(session);
        assert!(problems.is_empty(), "{}", problems.join("\n"));
    }
}
