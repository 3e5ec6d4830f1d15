//! Rehearsal recordings through the real `cuedeck` binary, real shells and real
//! files: the folder a rehearsal writes, byte-for-byte playback, `play --check` on
//! damaged folders, staleness, the latest passing recording, redaction, and the
//! asciinema CLI reading our casts.

mod cli_common;

use std::path::{Path, PathBuf};
use std::process::Command;

use cli_common::cuedeck;
use cuedeck_core::record::cast::{self, EventCode};
use cuedeck_core::record::manifest::{sha256_hex, Manifest};
use serde_json::Value;
use tempfile::TempDir;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// `text` as `name` in a folder of its own (its rehearsals land there).
fn runbook_in_tempdir(name: &str, text: &str) -> (TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join(name);
    std::fs::write(&path, text).expect("write runbook");
    (dir, path)
}

fn recorded_fixture() -> (TempDir, PathBuf) {
    let text = std::fs::read_to_string(fixture("recorded.md")).expect("fixture");
    runbook_in_tempdir("recorded.md", &text)
}

/// Rehearses `runbook`; returns the exit code and the rehearsal folder.
fn rehearse(runbook: &Path) -> (i32, PathBuf) {
    let (code, out, err) = cuedeck(
        "rehearse",
        &[runbook.to_str().expect("utf-8 path"), "--json"],
    );
    let report: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}\n{err}"));
    let folder = report["rehearsal"]
        .as_str()
        .unwrap_or_else(|| panic!("no folder: {out}"));
    (code, PathBuf::from(folder))
}

/// The output events of `terminal` between a step's start and end, as playback takes them.
fn segment(folder: &Path, step: &str) -> String {
    let manifest = Manifest::load(folder).expect("manifest");
    let record = manifest.step(step).expect("step recorded");
    let file = &manifest
        .terminals
        .iter()
        .find(|t| t.name == "main")
        .expect("main cast")
        .file;
    let cast = cast::read(&folder.join(file)).expect("cast reads");
    cast.between(record.start, record.end + 1e-6)
        .iter()
        .filter(|e| e.code == EventCode::Output)
        .map(|e| e.data.as_str())
        .collect()
}

#[test]
fn a_rehearsal_folder_has_its_manifest_casts_and_samples_and_plays_back_byte_for_byte() {
    let (_dir, runbook) = recorded_fixture();
    let (code, folder) = rehearse(&runbook);
    assert_eq!(code, 0);

    let manifest = Manifest::load(&folder).expect("manifest");
    let bytes = std::fs::read(&runbook).expect("runbook");
    assert_eq!(manifest.runbook_sha256, sha256_hex(&bytes));
    assert!(manifest.finished.is_some());
    let ids: Vec<&str> = manifest.steps.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, ["greet", "count", "secret"]);
    for step in &manifest.steps {
        assert!(step.passed(), "{step:?}");
        assert_eq!(step.exit_code, Some(0));
        assert_eq!(step.terminals, ["main"]);
        assert!(step.start <= step.end, "{step:?}");
        assert_eq!(step.source_sha256.len(), 64);
    }
    assert!(folder.join("main.cast").is_file());
    assert!(folder.join("samples.jsonl").is_file());

    let cast = cast::read(&folder.join("main.cast")).expect("cast");
    assert!(cast.skipped.is_empty() && !cast.truncated);
    let markers: Vec<&str> = cast
        .events
        .iter()
        .filter(|e| {
            e.code == EventCode::Marker
                && (e.data.starts_with("start ") || e.data.starts_with("end "))
        })
        .map(|e| e.data.as_str())
        .collect();
    assert_eq!(
        markers,
        [
            "start greet",
            "end greet",
            "start count",
            "end count",
            "start secret",
            "end secret"
        ]
    );

    let (code, out, _) = cuedeck("play", &["--check", folder.to_str().expect("utf-8")]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("ok: the rehearsal can be played"), "{out}");

    // Record, then play: the same bytes in the same order.
    for step in ["greet", "count"] {
        let (code, played, err) = cuedeck(
            "play",
            &[
                folder.to_str().expect("utf-8"),
                "--step",
                step,
                "--speed",
                "4",
            ],
        );
        assert_eq!(code, 0, "{err}");
        assert_eq!(played, segment(&folder, step), "step {step}");
    }
    let greet = segment(&folder, "greet");
    assert!(greet.contains("héllo → ✓ \u{1b}[1;32mgreen"), "{greet:?}");
    assert!(segment(&folder, "count").contains("line 3"));
}

#[test]
fn secrets_marked_for_redaction_never_reach_the_rehearsal_folder() {
    let (_dir, runbook) = recorded_fixture();
    let (_, folder) = rehearse(&runbook);
    let files = std::fs::read_dir(&folder)
        .expect("folder")
        .flat_map(|entry| {
            let path = entry.expect("entry").path();
            match std::fs::read_dir(&path) {
                // snapshots/: the per-step PNGs
                Ok(inner) => inner.map(|e| e.expect("entry").path()).collect(),
                Err(_) => vec![path],
            }
        });
    for path in files {
        let text = String::from_utf8_lossy(&std::fs::read(&path).expect("file")).into_owned();
        assert!(
            !text.contains("secret-abc123"),
            "{} holds the secret",
            path.display()
        );
    }
    assert!(segment(&folder, "secret").contains("token *************"));
}

/// Runs `command` (a shell line) in a pseudo-terminal of its own, in raw mode so the
/// bytes come out untranslated: asciinema 2 opens `/dev/tty` even to `cat`.
fn in_a_tty(command: &str) -> std::process::Output {
    Command::new("script")
        .args(["-qec", &format!("stty raw -echo; {command}"), "/dev/null"])
        .stdin(std::process::Stdio::null())
        .output()
        .expect("`script` (util-linux) runs")
}

#[test]
fn the_asciinema_cli_reads_and_plays_our_casts() {
    let (_dir, runbook) = recorded_fixture();
    let (_, folder) = rehearse(&runbook);
    let cast_path = folder.join("main.cast");
    let ours = cast::read(&cast_path).expect("cast").output();
    let version = Command::new("asciinema").arg("--version").output();
    assert!(
        version.as_ref().is_ok_and(|o| o.status.success()),
        "cannot run `asciinema` ({version:?}): `cargo xtask test` installs it (apt package asciinema)"
    );
    let shown = cast_path.display();
    let cat = in_a_tty(&format!("asciinema cat '{shown}'"));
    assert!(
        cat.status.success(),
        "{}",
        String::from_utf8_lossy(&cat.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&cat.stdout), ours);
    assert!(ours.contains("line 2"));

    let play = in_a_tty(&format!("asciinema play -s 4 -i 0.05 '{shown}'"));
    assert!(
        play.status.success(),
        "{}",
        String::from_utf8_lossy(&play.stderr)
    );
    assert!(String::from_utf8_lossy(&play.stdout).contains("line 3"));
}

fn stale_steps(runbook: &Path) -> Vec<String> {
    let (code, out, err) = cuedeck("rehearsals", &[runbook.to_str().expect("utf-8"), "--json"]);
    assert_eq!(code, 0, "{err}");
    let listing: Value = serde_json::from_str(&out).expect("JSON");
    listing["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .filter(|s| s["stale"] == true)
        .map(|s| s["id"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[test]
fn editing_a_command_flags_only_that_step_stale_and_prose_does_not() {
    let (_dir, runbook) = recorded_fixture();
    rehearse(&runbook);
    assert!(stale_steps(&runbook).is_empty());

    let text = std::fs::read_to_string(&runbook).expect("runbook");
    std::fs::write(&runbook, text.replace("A small runbook", "A tiny runbook")).expect("write");
    assert!(stale_steps(&runbook).is_empty(), "prose made a step stale");

    let text = std::fs::read_to_string(&runbook).expect("runbook");
    std::fs::write(
        &runbook,
        text.replace("echo \"line $i\"", "echo \"row $i\""),
    )
    .expect("write");
    assert_eq!(stale_steps(&runbook), ["count"]);
    let (_, plain, _) = cuedeck("rehearsals", &[runbook.to_str().expect("utf-8")]);
    let count_line = plain
        .lines()
        .find(|l| l.contains("Count"))
        .expect("the Count row");
    assert!(count_line.contains("STALE"), "{plain}");
    assert!(!plain
        .lines()
        .find(|l| l.contains("Greet"))
        .expect("row")
        .contains("STALE"));
}

#[test]
fn a_failing_step_is_recorded_as_failed_and_its_latest_pass_is_the_one_played() {
    let (dir, runbook) = runbook_in_tempdir(
        "flaky.md",
        "# Flaky\n\n## Check the flag\n\n```bash\ntest -e flag && echo present\n```\n",
    );
    std::fs::write(dir.path().join("flag"), "").expect("flag");
    let (code, passing) = rehearse(&runbook);
    assert_eq!(code, 0);
    std::fs::remove_file(dir.path().join("flag")).expect("unflag");
    let (code, failing) = rehearse(&runbook);
    assert_eq!(code, 1);

    let failed = Manifest::load(&failing).expect("manifest");
    let step = failed.step("check-the-flag").expect("step");
    assert_eq!((step.passed(), step.exit_code), (false, Some(1)));

    let (_, out, _) = cuedeck("rehearsals", &[runbook.to_str().expect("utf-8"), "--json"]);
    let listing: Value = serde_json::from_str(&out).expect("JSON");
    assert_eq!(listing["rehearsals"].as_array().map(Vec::len), Some(2));
    let name = passing.file_name().and_then(|n| n.to_str()).expect("name");
    assert_eq!(listing["steps"][0]["rehearsal"], name, "{out}");
}

#[test]
fn play_check_names_corrupt_lines_and_missing_manifests_and_tolerates_a_cut_tail() {
    let (_dir, runbook) = recorded_fixture();
    let (_, folder) = rehearse(&runbook);
    let dir = folder.to_str().expect("utf-8");
    let cast_path = folder.join("main.cast");
    let original = std::fs::read_to_string(&cast_path).expect("cast");

    // A garbage line in the middle: an error naming the file and the line.
    let mut lines: Vec<&str> = original.lines().collect();
    lines.insert(3, "this is not an event");
    std::fs::write(&cast_path, lines.join("\n") + "\n").expect("write");
    let (code, out, _) = cuedeck("play", &["--check", dir]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("main.cast:4:"), "{out}");

    // A last line cut short (a crash while writing it): a warning only.
    std::fs::write(&cast_path, format!("{original}[9.0, \"o\", \"cut")).expect("write");
    let (code, out, _) = cuedeck("play", &["--check", dir]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("warning: main.cast: the last line is cut short"),
        "{out}"
    );

    std::fs::remove_file(folder.join("manifest.json")).expect("remove");
    let (code, out, _) = cuedeck("play", &["--check", dir]);
    assert_eq!(code, 1);
    assert!(out.contains("manifest.json"), "{out}");
}

/// `ui/src/shared/fixtures/recorded.cast` is the cast the UI test plays in asciinema-player:
/// it must stay what our recorder writes today (header fields, event codes, markers).
#[test]
fn committed_player_fixture_matches_the_recorder() {
    let (_dir, runbook) = recorded_fixture();
    let (_, folder) = rehearse(&runbook);
    let fresh_path = folder.join("main.cast");
    let committed_path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui/src/shared/fixtures/recorded.cast");
    let header_keys = |path: &Path| -> Vec<String> {
        let text = std::fs::read_to_string(path).expect("cast");
        let header: Value =
            serde_json::from_str(text.lines().next().expect("header")).expect("JSON header");
        header
            .as_object()
            .expect("object")
            .keys()
            .cloned()
            .collect()
    };
    assert_eq!(header_keys(&committed_path), header_keys(&fresh_path));
    let shape = |path: &Path| {
        let c = cast::read(path).expect("cast");
        let mut codes: Vec<String> = c
            .events
            .iter()
            .map(|e| e.code.as_str().to_string())
            .collect();
        codes.sort();
        codes.dedup();
        let steps: Vec<String> = c
            .events
            .iter()
            .filter(|e| e.code == EventCode::Marker && !e.data.contains('('))
            .map(|e| e.data.clone())
            .collect();
        (c.version, codes, steps, c.output().contains("héllo → ✓"))
    };
    assert_eq!(
        shape(&committed_path),
        shape(&fresh_path),
        "regenerate ui/src/shared/fixtures/recorded.cast with `cuedeck rehearse` on core/tests/fixtures/recorded.md"
    );
}
