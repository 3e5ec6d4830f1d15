//! `cuedeck rehearse` as a user runs it: real bash in real PTYs, the report, exit codes,
//! and no process left behind.

mod cli_common;

use std::path::{Path, PathBuf};

fn rehearse(args: &[&str]) -> (i32, String, String) {
    cli_common::cuedeck("rehearse", args)
}

fn scratch(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("cuedeck-rehearse-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("tmp dir");
    let path = dir.join("runbook.md");
    std::fs::write(&path, text).expect("write runbook");
    path
}

const MIXED: &str = r#"# Mixed

## Works

```bash
export GREETING=hello
echo "$GREETING from $(basename "$PWD")"
```

You should see `hello from`.

## Fails

```bash
ls /cuedeck/no/such/dir
```

## Missing tool

```bash
cuedeck-no-such-tool --version
```

## Server (optional)

```bash
python3 -m http.server 0
```

## Env persists

```bash
test "$GREETING" = hello && echo persisted
```
"#;

#[test]
fn reports_each_step_with_exact_exit_codes() {
    let path = scratch("mixed", MIXED);
    let (code, out, err) = rehearse(&["--json", &path.display().to_string()]);
    assert_eq!(code, 1, "a failed step makes the exit code 1\n{out}\n{err}");
    let report: serde_json::Value = serde_json::from_str(&out).expect("JSON report");
    let steps = report["steps"].as_array().expect("steps");
    let row = |title: &str| {
        steps
            .iter()
            .find(|s| s["title"] == title)
            .unwrap_or_else(|| panic!("no {title} in {out}"))
    };
    assert_eq!(row("Works")["status"], "ok");
    assert_eq!(row("Works")["exitCode"], 0);
    assert_eq!(row("Works")["expectationsMet"], serde_json::json!([1, 1]));
    assert_eq!(row("Fails")["status"], "failed");
    assert_eq!(row("Fails")["exitCode"], 2);
    assert_eq!(row("Missing tool")["exitCode"], 127);
    assert_eq!(row("Env persists")["status"], "ok");
    assert!(
        steps.iter().all(|s| s["title"] != "Server (optional)"),
        "optional steps stay out of a rehearsal"
    );
    assert_eq!(report["leftoverProcesses"], 0);
}

#[test]
fn fail_fast_stops_at_the_first_failure_and_only_selects() {
    let path = scratch("select", MIXED).display().to_string();
    let (_, out, _) = rehearse(&["--json", "--fail-fast", &path]);
    let report: serde_json::Value = serde_json::from_str(&out).expect("JSON report");
    assert_eq!(report["steps"].as_array().map(Vec::len), Some(2));

    let (code, out, _) = rehearse(&["--json", "--only", "works,5", &path]);
    assert_eq!(code, 0, "{out}");
    let report: serde_json::Value = serde_json::from_str(&out).expect("JSON report");
    let titles: Vec<&str> = report["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .filter_map(|s| s["title"].as_str())
        .collect();
    assert_eq!(titles, vec!["Works", "Env persists"]);

    let (code, _, err) = rehearse(&["--from", "no-such-step", &path]);
    assert_eq!(code, 2);
    assert!(err.contains("no step matches `no-such-step`"), "{err}");
}

/// Our own runbook, copied into a scratch folder: its rehearsal lands beside the
/// copy, never in `runbooks/` (a newcomer's first `cargo xtask run` shows none).
fn runbook_copy(name: &str) -> PathBuf {
    let source = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../runbooks")
        .join(name);
    let text = std::fs::read_to_string(&source).expect("our runbook");
    scratch(name.trim_end_matches(".md"), &text)
}

#[test]
fn the_tour_rehearses_green() {
    let tour = runbook_copy("tour.md");
    let (code, out, err) = rehearse(&[&tour.display().to_string()]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains("0 failed"), "{out}");
    let recorded = tour.with_file_name(".cuedeck");
    assert!(
        recorded.is_dir(),
        "the rehearsal is recorded beside the copy"
    );
    let _ = std::fs::remove_dir_all(tour.parent().expect("a folder"));
}

#[test]
fn broken_runbooks_are_refused_with_file_and_line() {
    let path = scratch(
        "broken",
        "# B\n\n## S\n\n```bash {\"name\": }\necho x\n```\n",
    );
    let (code, _, err) = rehearse(&[&path.display().to_string()]);
    assert_eq!(code, 2);
    assert!(err.contains("runbook.md:5: error: invalid JSON"), "{err}");
}

#[test]
fn steps_find_the_cuedeck_command_beside_the_running_one() {
    let path = scratch(
        "own-bin",
        "# Own tools\n\n## Which cuedeck\n\n```bash\ncommand -v cuedeck\ncuedeck --version\n```\n",
    );
    let (code, out, err) = rehearse(&["--json", &path.display().to_string()]);
    assert_eq!(code, 0, "cuedeck is on the terminal's PATH\n{out}\n{err}");
    let _ = std::fs::remove_dir_all(path.parent().unwrap());
}

/// A port nothing listens on yet.
fn free_port() -> u16 {
    let l = std::net::TcpListener::bind(("127.0.0.1", 0)).expect("bind");
    l.local_addr().expect("addr").port()
}

#[test]
fn gated_steps_run_once_their_service_is_up_and_skip_the_sleep_they_replace() {
    let port = free_port();
    let runbook = format!(
        r#"---
services:
  - {{ name: web, url: "http://127.0.0.1:{port}/health", interval: 200ms }}
---
# Gates

## Start the server

```bash {{"background": true, "timeout": "1s"}}
mkdir -p www && echo ok > www/health && cd www && sleep 1 && python3 -m http.server {port} --bind 127.0.0.1
```

## Wait for services to be healthy

```bash
sleep 600
echo all healthy
```

## Use it

```bash {{"waitFor": "web"}}
curl -sf http://127.0.0.1:{port}/health
```
"#
    );
    let path = scratch("gated", &runbook);
    let started = std::time::Instant::now();
    let (code, out, err) = rehearse(&["--json", &path.display().to_string()]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(120),
        "the 600 s sleep was replaced by the gate"
    );
    let report: serde_json::Value = serde_json::from_str(&out).expect("json");
    let steps = report["steps"].as_array().expect("steps");
    assert_eq!(steps[1]["status"], "ok", "{:#}", steps[1]);
    assert_eq!(steps[2]["status"], "ok", "{:#}", steps[2]);
    assert_eq!(report["leftoverProcesses"], 0);
    let _ = std::fs::remove_dir_all(path.parent().unwrap());
}

#[test]
fn a_gate_whose_service_never_comes_up_reports_the_timeout() {
    let port = free_port();
    let runbook = format!(
        "---\nservices:\n  - {{ name: web, url: \"http://127.0.0.1:{port}/health\", interval: 200ms }}\n---\n\
         # Gate\n\n## Use it\n\n```bash {{\"waitFor\": \"web\", \"timeout\": \"1s\"}}\necho never typed\n```\n"
    );
    let path = scratch("gate-timeout", &runbook);
    let (code, out, err) = rehearse(&["--json", &path.display().to_string()]);
    assert_eq!(code, 1, "{out}\n{err}");
    let report: serde_json::Value = serde_json::from_str(&out).expect("json");
    let step = &report["steps"][0];
    assert_eq!(step["status"], "timedOut", "{step:#}");
    let message = step["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("not up after 1 s: web (connection refused)"),
        "{message}"
    );
    let _ = std::fs::remove_dir_all(path.parent().unwrap());
}

const FOR_CI: &str = r#"---
redact: ["tok-[a-z0-9]+"]
---
# Nightly Check

## Greets

```bash
echo "all good, token tok-abc123"
```

You should see `all good`.

## Breaks

```bash
echo "about to fail <here> & now"
false
```

You should see `never printed`.

## Cleanup (optional)

```bash
echo never run
```

## Just Prose

Nothing to run here.
"#;

/// The first child element of `node` named `tag`.
fn child<'a, 'input>(
    node: roxmltree::Node<'a, 'input>,
    tag: &str,
) -> Option<roxmltree::Node<'a, 'input>> {
    node.children().find(|n| n.has_tag_name(tag))
}

fn junit_schema() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/junit/junit.xsd")
}

/// `xmllint --schema`: whether `xml` validates, and what xmllint said.
fn validates(xml: &Path) -> (bool, String) {
    let out = std::process::Command::new("xmllint")
        .args(["--noout", "--schema"])
        .arg(junit_schema())
        .arg(xml)
        .output()
        .expect("xmllint runs (Debian package libxml2-utils; `cargo xtask setup` installs it)");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn junit_reports_validate_and_name_passed_failed_and_skipped_steps() {
    let path = scratch("junit", FOR_CI);
    let report = path.with_file_name("report.xml");
    let (code, out, err) = rehearse(&[
        "--no-record",
        "--junit",
        &report.display().to_string(),
        &path.display().to_string(),
    ]);
    assert_eq!(code, 1, "the failing step makes it exit 1\n{out}\n{err}");
    let xml = std::fs::read_to_string(&report).expect("the JUnit file is written");
    let (ok, why) = validates(&report);
    assert!(ok, "the report does not validate:\n{why}\n{xml}");
    assert!(
        !xml.contains("tok-abc123"),
        "a redacted secret reached the file:\n{xml}"
    );

    let doc = roxmltree::Document::parse(&xml).expect("well-formed XML");
    let root = doc.root_element();
    let counts = |n: roxmltree::Node| {
        ["tests", "failures", "skipped"].map(|a| n.attribute(a).unwrap_or("?").to_string())
    };
    assert_eq!(counts(root), ["3", "1", "1"]);
    let suites: Vec<_> = root
        .children()
        .filter(|n| n.has_tag_name("testsuite"))
        .collect();
    assert_eq!(suites.len(), 1, "one testsuite per runbook");
    assert_eq!(suites[0].attribute("name"), Some("Nightly Check"));
    assert_eq!(counts(suites[0]), ["3", "1", "1"]);
    let cases: Vec<_> = suites[0]
        .children()
        .filter(|n| n.has_tag_name("testcase"))
        .collect();
    let names: Vec<_> = cases.iter().filter_map(|c| c.attribute("name")).collect();
    assert_eq!(names, ["1. Greets", "2. Breaks", "3. Cleanup (optional)"]);

    let greets = cases[0];
    assert!(child(greets, "failure").is_none() && child(greets, "skipped").is_none());
    let out = child(greets, "system-out")
        .and_then(|n| n.text())
        .unwrap_or_default();
    assert!(out.contains("all good, token **********"), "{out}");
    let seconds: f64 = greets
        .attribute("time")
        .unwrap_or("x")
        .parse()
        .expect("a time");
    assert!(seconds > 0.0, "a step that ran has its time");

    let failure = child(cases[1], "failure").expect("the failing step has a failure");
    let message = failure.attribute("message").unwrap_or_default();
    assert!(message.contains("exit 1"), "{message}");
    assert!(
        message.contains("\"never printed\" was not seen"),
        "{message}"
    );
    let tail = failure.text().unwrap_or_default();
    assert!(tail.contains("about to fail <here> & now"), "{tail}");

    let skipped = child(cases[2], "skipped").expect("the optional step is skipped");
    assert!(
        skipped
            .attribute("message")
            .unwrap_or_default()
            .contains("optional"),
        "{xml}"
    );
    let _ = std::fs::remove_dir_all(path.parent().expect("scratch dir"));
}

#[test]
fn the_junit_schema_rejects_what_ci_systems_cannot_read() {
    // The check above proves something only if the schema refuses broken reports.
    let dir = std::env::temp_dir().join(format!("cuedeck-junit-xsd-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("tmp dir");
    let cases = [
        // A test case without a name.
        r#"<testsuites tests="1" failures="0" errors="0"><testsuite name="a" tests="1" failures="0" errors="0" skipped="0" time="0.1"><testcase classname="x" time="0.1"/></testsuite></testsuites>"#,
        // A time that is not seconds.
        r#"<testsuites tests="1" failures="0" errors="0"><testsuite name="a" tests="1" failures="0" errors="0" skipped="0" time="1.2s"><testcase name="n" classname="x" time="0.1"/></testsuite></testsuites>"#,
        // Two outcomes for one case.
        r#"<testsuites tests="1" failures="1" errors="0"><testsuite name="a" tests="1" failures="1" errors="0" skipped="0" time="0.1"><testcase name="n" classname="x" time="0.1"><failure/><skipped/></testcase></testsuite></testsuites>"#,
    ];
    for (i, xml) in cases.iter().enumerate() {
        let file = dir.join(format!("bad-{i}.xml"));
        std::fs::write(&file, xml).expect("write");
        let (ok, _) = validates(&file);
        assert!(!ok, "the schema accepted bad report {i}: {xml}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// The shell's start-up folder (`cuedeck-shell-*`) is gone once the shell has read it,
/// so a Cuedeck that is killed (SIGKILL, a crash) leaves none behind in the temp folder.
#[test]
fn the_shells_start_up_folder_is_removed_once_read() {
    let runbook = scratch(
        "rc-folder",
        "# Rc\n\n## Look\n\n```bash\nls -d \"$TMPDIR\"/cuedeck-shell-* > seen.txt 2>&1; true\n```\n",
    );
    let dir = runbook.parent().expect("its folder").to_path_buf();
    let tmp = dir.join("tmp");
    std::fs::create_dir_all(&tmp).expect("a temp folder of its own");
    let (code, _, err) = cli_common::output(
        cli_common::command()
            .args(["rehearse", "--no-record"])
            .arg(&runbook)
            .env("TMPDIR", &tmp),
    );
    assert_eq!(code, 0, "{err}");
    let seen = std::fs::read_to_string(dir.join("seen.txt")).expect("the step ran");
    assert!(
        seen.contains("No such file"),
        "while the shell runs, its start-up folder is already gone: {seen}"
    );
    let left: Vec<_> = std::fs::read_dir(&tmp)
        .expect("the temp folder")
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert!(
        left.is_empty(),
        "nothing is left in the temp folder: {left:?}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
