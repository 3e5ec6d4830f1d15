//! `cuedeck rehearse` on a live, multi-terminal demo written as presenters write them
//! (tests/fixtures/live/chat-demo.md): three chat nodes from one split block, an
//! interactive client fed typed messages, the leader stopped with `^C` and started
//! again. Every step passes, and every node's recording shows the same messages in
//! the same order.

mod cli_common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use regex::Regex;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/live")
}

/// The demo and its programs in a scratch folder (the rehearsal lands there).
fn demo_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("scratch dir");
    std::fs::copy(
        fixtures().join("chat-demo.md"),
        dir.path().join("chat-demo.md"),
    )
    .unwrap();
    std::fs::create_dir(dir.path().join("chat")).unwrap();
    for program in ["node.py", "client.py"] {
        std::fs::copy(
            fixtures().join("chat").join(program),
            dir.path().join("chat").join(program),
        )
        .unwrap();
    }
    dir
}

/// The plain text a cast printed ("o" events), escape sequences and `\r` removed.
fn cast_text(path: &Path) -> String {
    let ansi = Regex::new(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07]*\x07|\r").unwrap();
    let mut out = String::new();
    for line in std::fs::read_to_string(path).expect("cast").lines().skip(1) {
        let event: serde_json::Value = serde_json::from_str(line).expect("cast event");
        if event[1] == "o" {
            out.push_str(event[2].as_str().unwrap_or_default());
        }
    }
    ansi.replace_all(&out, "").into_owned()
}

/// Each `[seq=K] who: text` a terminal printed, by K (a rejoined node prints the
/// ones it missed again when it catches up: they must say the same).
fn deliveries(text: &str) -> BTreeMap<u32, String> {
    let line = Regex::new(r"\[seq=(\d+)\] (client_\d+: [^\n]*)").unwrap();
    let mut out = BTreeMap::new();
    for caps in line.captures_iter(text) {
        let seq: u32 = caps[1].parse().unwrap();
        let said = caps[2].trim().to_string();
        if let Some(before) = out.insert(seq, said.clone()) {
            assert_eq!(before, said, "seq={seq} printed twice, differently");
        }
    }
    out
}

/// The steps of a report that did not pass, each with its blocks' outcomes, first
/// in a failure's message (the whole report is long and CI shows only a part).
fn failed_steps(report: &serde_json::Value) -> String {
    let steps = report["steps"].as_array().cloned().unwrap_or_default();
    let failed: Vec<String> = steps
        .iter()
        .filter(|s| s["status"] != "ok" && s["status"] != "ready")
        .map(|s| {
            format!(
                "- {} ({}): {}\n  expectations: {}\n  blocks: {}",
                s["title"], s["status"], s["message"], s["expectations"], s["blocks"]
            )
        })
        .collect();
    format!(
        "{}\nleftoverProcesses: {}\n{}",
        failed.join("\n"),
        report["leftoverProcesses"],
        terminal_tails(report)
    )
}

/// The last lines each terminal of the rehearsal printed (why a node exited).
fn terminal_tails(report: &serde_json::Value) -> String {
    let Some(folder) = report["rehearsal"].as_str().map(PathBuf::from) else {
        return String::new();
    };
    let Ok(manifest) = std::fs::read_to_string(folder.join("manifest.json")) else {
        return format!("no manifest in {}", folder.display());
    };
    let manifest: serde_json::Value = serde_json::from_str(&manifest).unwrap_or_default();
    let terminals = manifest["terminals"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let mut out = String::new();
    for terminal in terminals {
        let Some(file) = terminal["file"].as_str() else {
            continue;
        };
        let text = cast_text(&folder.join(file));
        let lines: Vec<&str> = text.lines().collect();
        let tail = lines[lines.len().saturating_sub(12)..].join("\n    ");
        out.push_str(&format!("--- {}:\n    {tail}\n", terminal["name"]));
    }
    out
}

#[test]
fn the_chat_demo_rehearses_green_with_one_order_everywhere() {
    let dir = demo_copy();
    let runbook = dir.path().join("chat-demo.md");
    let started = Instant::now();
    let (code, out, err) =
        cli_common::cuedeck("rehearse", &["--json", &runbook.display().to_string()]);
    let took = started.elapsed();
    let report: serde_json::Value = serde_json::from_str(&out)
        .unwrap_or_else(|e| panic!("no JSON report ({e}), exit {code}\n{out}\n{err}"));
    assert_eq!(
        code,
        0,
        "every step passes; these did not:\n{}\n{err}\n{out}",
        failed_steps(&report)
    );
    let steps = report["steps"].as_array().expect("steps");
    assert_eq!(steps.len(), 4, "{out}");
    for step in steps {
        assert!(
            step["status"] == "ok" || step["status"] == "ready",
            "{}: {}",
            step["title"],
            step
        );
        if let Some([met, of]) = step["expectationsMet"].as_array().map(Vec::as_slice) {
            assert_eq!(met, of, "expectations of {}: {step}", step["title"]);
        }
    }
    // The split block's terminals all started, each ready by its own port.
    let first = &steps[0]["message"];
    assert!(
        first.as_str().is_some_and(|m| m.contains("Terminal 3")),
        "{first}"
    );
    assert_eq!(report["leftoverProcesses"], 0);

    let folder = PathBuf::from(report["rehearsal"].as_str().expect("rehearsal folder"));
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(folder.join("manifest.json")).unwrap())
            .unwrap();
    let cast_of = |name: &str| {
        let file = manifest["terminals"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["name"] == name)
            .unwrap_or_else(|| panic!("a cast for {name}: {manifest}"))["file"]
            .as_str()
            .unwrap()
            .to_string();
        cast_text(&folder.join(file))
    };
    let nodes: Vec<BTreeMap<u32, String>> = ["Terminal 1", "Terminal 2", "Terminal 3"]
        .iter()
        .map(|t| deliveries(&cast_of(t)))
        .collect();
    let expected: Vec<&str> = vec![
        "client_101: Hello from the first client",
        "client_101: A second message",
        "client_101: And a third one",
        "client_101: Sent while the leader was gone",
        "client_101: Node 3 is back",
    ];
    for (n, node) in nodes.iter().enumerate() {
        let said: Vec<&str> = node.values().map(String::as_str).collect();
        assert_eq!(said, expected, "node {} printed {node:?}", n + 1);
    }
    let client = cast_of("main");
    assert!(
        client.contains("[seq=5] client_101: Node 3 is back"),
        "{client}"
    );
    let node3 = cast_of("Terminal 3");
    assert!(node3.contains("Became LEADER for term 1"), "{node3}");
    assert!(node3.contains("New coordinator: node 2, term=2"), "{node3}");
    // The programs' own delays: a 1 s election window, 1.5 s to notice the leader
    // is gone and elect another, 1 s for node 3 to find the leader when it rejoins.
    let delays = 3.5;
    assert!(
        took.as_secs_f64() < delays + 10.0,
        "rehearsal took {took:?}"
    );
    eprintln!("chat demo rehearsed in {took:?}\n{err}");
}

/// Our own `runbooks/live.md` (split servers, hidden setup, typing, a REPL, ^C and a
/// restart) rehearses green from a scratch copy.
#[test]
fn our_live_runbook_rehearses_green() {
    let dir = tempfile::tempdir().expect("scratch dir");
    let runbook = dir.path().join("live.md");
    std::fs::copy(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../runbooks/live.md"),
        &runbook,
    )
    .unwrap();
    let (code, out, err) = cli_common::cuedeck(
        "rehearse",
        &["--json", "--typing", &runbook.display().to_string()],
    );
    let _ = std::fs::remove_dir_all("/tmp/cuedeck-live");
    assert_eq!(code, 0, "{out}\n{err}");
    let report: serde_json::Value = serde_json::from_str(&out).expect("JSON report");
    for step in report["steps"].as_array().expect("steps") {
        if let Some([met, of]) = step["expectationsMet"].as_array().map(Vec::as_slice) {
            assert_eq!(met, of, "expectations of {}: {step}", step["title"]);
        }
    }
    let first = report["steps"][0]["message"].as_str().unwrap_or_default();
    // Each is ready by its port or by its "Serving HTTP" line, whichever comes first.
    for (terminal, port) in [("Terminal A", "7931"), ("Terminal B", "7932")] {
        let part = first
            .split(" · ")
            .find(|p| p.contains(terminal))
            .unwrap_or_else(|| panic!("{terminal} in {first}"));
        assert!(part.contains(port), "{part}");
    }
    assert_eq!(report["leftoverProcesses"], 0);
}
