//! `cuedeck check`: exit codes and output, run as a user runs it.

mod cli_common;

use std::path::Path;

fn check(args: &[&str]) -> (i32, String, String) {
    cli_common::cuedeck("check", args)
}

fn fixture(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
        .display()
        .to_string()
}

#[test]
fn clean_runbook_exits_zero_with_an_outline() {
    let (code, out, _) = check(&[&fixture("timeline.md")]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("\"Pulse Demo Runbook\""), "{out}");
    assert!(out.contains("Demo 1: Rate Limiting"), "{out}");
    assert!(out.contains("1:00-3:00"), "{out}");
}

#[test]
fn lint_errors_exit_one_with_file_and_line() {
    let (code, out, _) = check(&[&fixture("odd.md")]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(&format!("{}:38: error: invalid JSON", fixture("odd.md"))),
        "{out}"
    );
    assert!(
        out.contains(":44: error: code fence opened here is never closed"),
        "{out}"
    );
}

#[test]
fn json_prints_the_whole_model() {
    let (code, out, _) = check(&["--json", &fixture("cluster.md")]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).expect("valid JSON");
    assert_eq!(v["runbook"]["title"], "Chat Cluster Guide");
    assert_eq!(v["runbook"]["steps"][2]["blocks"][1]["kind"], "input");
    assert!(v["findings"].is_array());
}

#[test]
fn unreadable_files_exit_two() {
    let (code, _, err) = check(&["/nonexistent/runbook.md"]);
    assert_eq!(code, 2);
    assert!(err.contains("/nonexistent/runbook.md"), "{err}");

    let dir = std::env::temp_dir().join(format!("cuedeck-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("tmp");
    let path = dir.join("binary.md");
    std::fs::write(&path, [0x23, 0x20, 0xff, 0xfe]).expect("write");
    let (code, _, err) = check(&[&path.display().to_string()]);
    assert_eq!(code, 2);
    assert!(err.contains("not UTF-8"), "{err}");
    std::fs::remove_dir_all(&dir).ok();
}

/// Every runbook we ship in `runbooks/` lints clean: no error, no warning.
#[test]
fn our_runbooks_lint_clean() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../runbooks");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).expect("runbooks/") {
        let path = entry.expect("a directory entry").path();
        if path.extension().is_none_or(|e| e != "md") {
            continue;
        }
        seen += 1;
        let (code, out, err) = check(&[&path.display().to_string()]);
        assert_eq!(code, 0, "{}: {out}\n{err}", path.display());
        assert!(
            out.contains("0 errors, 0 warnings"),
            "{}: {out}",
            path.display()
        );
    }
    assert!(seen >= 2, "runbooks/ has the tour and the stage talk");
}

#[test]
fn a_probe_interval_below_250_ms_is_warned_about_with_its_line() {
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("fast.md");
    let text = "---\nservices:\n  - { name: api, url: \"http://127.0.0.1:9/health\", interval: 100ms }\nmetrics:\n  - { name: m, url: \"http://127.0.0.1:9/metrics\", interval: 250ms }\n---\n# Fast\n\n## One\n\n```bash\necho one\n```\n";
    std::fs::write(&path, text).expect("write");
    let (code, out, err) = check(&[&path.display().to_string()]);
    assert_eq!(code, 0, "a warning, not an error: {out}{err}");
    // The line the model gives a declared probe (as the outline shows it).
    let line = format!(
        "{}:2: warning: service `api`: interval 100 ms is below the 250 ms floor: it is probed every 250 ms",
        path.display()
    );
    assert!(out.contains(&line), "{out}");
    assert!(
        !out.contains("metrics `m`: interval"),
        "250 ms is the floor itself: {out}"
    );
}
