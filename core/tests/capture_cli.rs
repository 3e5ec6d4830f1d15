//! `cuedeck snapshot` on a rehearsal made by `cuedeck rehearse` (real bash in real
//! PTYs), its errors, and the per-step snapshots a rehearsal writes.

mod cli_common;

use std::path::{Path, PathBuf};

use cli_common::cuedeck;
use cuedeck_core::record::manifest::Manifest;
use resvg::tiny_skia::Pixmap;
use tempfile::TempDir;

const RUNBOOK: &str = r#"---
redact: ["sk-[a-z0-9]{8}"]
---
# Snap

## Colours

```bash
printf '\033[41m RED \033[0m \033[1;32mgreen\033[0m\n'
```

## Secret

```bash
echo "token sk-abcd1234 shown"
```
"#;

/// A temp folder with the runbook, rehearsed once: (folder, runbook, rehearsal).
fn rehearsed() -> (TempDir, PathBuf, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let runbook = dir.path().join("snap.md");
    std::fs::write(&runbook, RUNBOOK).expect("write runbook");
    let (code, out, err) = cuedeck("rehearse", &["--json", runbook.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}\n{err}");
    let report: serde_json::Value = serde_json::from_str(&out).expect("JSON report");
    let folder = PathBuf::from(report["rehearsal"].as_str().expect("a rehearsal folder"));
    (dir, runbook, folder)
}

fn snapshot(cwd: &Path, args: &[&str]) -> (i32, String, String) {
    cli_common::output(
        cli_common::command()
            .arg("snapshot")
            .args(args)
            .current_dir(cwd),
    )
}

#[test]
fn snapshot_writes_a_png_of_the_last_step_and_an_svg_of_any_step() {
    let (dir, runbook, folder) = rehearsed();
    let cwd = dir.path();

    // Defaults: the latest rehearsal of the runbook, the last step, its terminal.
    let (code, out, err) = snapshot(cwd, &[runbook.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert_eq!(out.trim(), "secret-main.png");
    let png = std::fs::read(cwd.join("secret-main.png")).expect("the PNG is written");
    let pixmap = Pixmap::decode_png(&png).expect("a PNG");
    assert!(
        pixmap.width() > 900 && pixmap.height() > 500,
        "120x30 cells"
    );

    // A rehearsal folder, a step by id, an SVG: the step's screen as it ended.
    let svg_path = cwd.join("colours.svg");
    let (code, out, err) = snapshot(
        cwd,
        &[
            folder.to_str().unwrap(),
            "--step",
            "colours",
            "--terminal",
            "main",
            "-o",
            svg_path.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 0, "{out}\n{err}");
    assert_eq!(out.trim(), svg_path.display().to_string());
    let svg = std::fs::read_to_string(&svg_path).expect("SVG");
    roxmltree::Document::parse(&svg).expect("well-formed");
    assert!(svg.contains(">green</text>"), "{svg}");
    assert!(svg.contains(r##"fill="#cc0000""##), "the red background");
    assert!(!svg.contains(">token"), "the next step is not shown yet");

    // At a moment, scaled.
    let (code, out, err) = snapshot(
        cwd,
        &[
            folder.to_str().unwrap(),
            "--at",
            "0",
            "--scale",
            "2",
            "-o",
            "start.png",
        ],
    );
    assert_eq!(code, 0, "{out}\n{err}");
    let start = Pixmap::decode_png(&std::fs::read(cwd.join("start.png")).unwrap()).unwrap();
    assert_eq!(start.width(), 2 * pixmap.width());

    // The secret was masked in the recording, so never reaches a snapshot.
    let (code, _, err) = snapshot(cwd, &[folder.to_str().unwrap(), "-o", "s.svg"]);
    assert_eq!(code, 0, "{err}");
    let svg = std::fs::read_to_string(cwd.join("s.svg")).unwrap();
    assert!(svg.contains("token"), "{svg}");
    assert!(!svg.contains("abcd1234"), "{svg}");
}

#[test]
fn snapshot_errors_name_what_is_wrong() {
    let (dir, _runbook, folder) = rehearsed();
    let cwd = dir.path();
    let f = folder.to_str().unwrap();
    let err_of = |args: &[&str]| {
        let (code, out, err) = snapshot(cwd, args);
        assert_eq!(code, 2, "{args:?}: {out}\n{err}");
        err
    };

    let missing = cwd.join("no-such-folder");
    let err = err_of(&[missing.to_str().unwrap()]);
    assert!(
        err.contains("no-such-folder") && err.contains("does not exist"),
        "{err}"
    );

    let empty = cwd.join("empty");
    std::fs::create_dir(&empty).unwrap();
    let err = err_of(&[empty.to_str().unwrap()]);
    assert!(err.contains("no manifest.json"), "{err}");

    let err = err_of(&[f, "--step", "nope"]);
    assert!(
        err.contains("no step `nope`") && err.contains("colours, secret"),
        "{err}"
    );

    let err = err_of(&[f, "--terminal", "db"]);
    assert!(
        err.contains("no terminal `db`") && err.contains("terminals: main"),
        "{err}"
    );

    let err = err_of(&[f, "--at", "99999"]);
    assert!(
        err.contains("--at 99999 is beyond") && err.contains("main.cast"),
        "{err}"
    );

    let err = err_of(&[f, "-o", "shot.jpg"]);
    assert!(
        err.contains("shot.jpg") && err.contains(".svg or .png"),
        "{err}"
    );

    // A cast with a damaged line: the file and the line are named.
    let cast = folder.join("main.cast");
    let mut text = std::fs::read_to_string(&cast).unwrap();
    let lines = text.lines().count();
    text = text.replacen('\n', "\n[1.0, \"o\", broken\n", 1);
    assert!(text.lines().count() == lines + 1);
    std::fs::write(&cast, text).unwrap();
    let err = err_of(&[f]);
    assert!(
        err.contains("main.cast:2:") && err.contains("corrupt"),
        "{err}"
    );
}

#[test]
fn a_rehearsal_writes_a_redacted_snapshot_per_step_listed_in_the_manifest() {
    let (_dir, _runbook, folder) = rehearsed();
    let manifest = Manifest::load(&folder).expect("manifest");
    assert_eq!(manifest.steps.len(), 2);
    for step in &manifest.steps {
        assert_eq!(step.snapshots.len(), 1, "{step:?}");
        let shot = &step.snapshots[0];
        assert_eq!(shot.terminal, "main");
        assert_eq!(shot.file, format!("snapshots/{}--main.png", step.id));
        let bytes = std::fs::read(folder.join(&shot.file)).expect("the PNG exists");
        let pixmap = Pixmap::decode_png(&bytes).expect("a PNG");
        assert!(pixmap.width() > 900, "the terminal's 120 columns");
    }

    // The live screen held the secret (the screen model is not redacted); the
    // snapshot's cells are.
    use cuedeck_core::capture::snapshot::{replay, Until};
    use cuedeck_core::capture::svg;
    use cuedeck_core::record::cast;
    use cuedeck_core::record::redact::Redactor;
    let cast = cast::read(&folder.join("main.cast")).expect("cast");
    let mut cells = replay(&cast, &Until::Marker("end secret".into())).cells();
    let shown = svg::render(&cells, "main");
    assert!(shown.contains("token"));
    assert!(!shown.contains("abcd1234"), "the recording is redacted too");
    // And a screen that still shows the secret loses it through the redactor.
    let mut screen =
        cuedeck_core::terminal::screen::Screen::new(cuedeck_core::terminal::TermSize::default(), 0);
    screen.feed(b"$ echo \"token sk-abcd1234 shown\"\r\ntoken sk-abcd1234 shown\r\n$ ");
    cells = screen.cells();
    cells.redact(&Redactor::new(&["sk-[a-z0-9]{8}".to_string()]));
    let svg = svg::render(&cells, "main");
    assert!(svg.contains("token") && !svg.contains("abcd1234"), "{svg}");
}
