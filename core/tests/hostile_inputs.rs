//! Hostile inputs on real files: a rehearsal folder whose manifest points outside it
//! (traversal, absolute paths, symlinks out, terminal names with escapes), a
//! `.cuedeck` that is a symlink out of the runbook's folder, and runbook files that
//! are too large or not regular files. Each is refused with a message naming the
//! file and the reason, and nothing is read or written outside.

mod cli_common;

use std::path::{Path, PathBuf};

use cuedeck_core::record::manifest::{
    Manifest, ManifestError, StepRecord, StepSnapshot, TerminalCast,
};
use cuedeck_core::record::store::{self, WriteDirError};
use cuedeck_core::runbook::{self, LoadError};
use cuedeck_core::terminal::StepStatus;

const CAST: &str = "{\"version\": 2, \"width\": 80, \"height\": 24}\n[0.1, \"o\", \"hi\\r\\n\"]\n[0.2, \"m\", \"end one\"]\n";

/// A rehearsal folder `<tmp>/rehearsal` with a cast, and a sibling `<tmp>/outside`
/// holding a "secret" file and nothing else.
struct Scene {
    tmp: tempfile::TempDir,
}

impl Scene {
    fn new() -> Self {
        let tmp = tempfile::tempdir().expect("tmp dir");
        std::fs::create_dir(tmp.path().join("rehearsal")).expect("rehearsal dir");
        std::fs::create_dir(tmp.path().join("outside")).expect("outside dir");
        std::fs::write(tmp.path().join("rehearsal/main.cast"), CAST).expect("cast");
        std::fs::write(tmp.path().join("outside/secret.cast"), CAST).expect("secret");
        Self { tmp }
    }

    fn dir(&self) -> PathBuf {
        self.tmp.path().join("rehearsal")
    }

    fn outside(&self) -> PathBuf {
        self.tmp.path().join("outside")
    }

    fn save(&self, manifest: &Manifest) {
        manifest.save(&self.dir()).expect("manifest written");
    }

    /// What `outside/` holds: the test checks nothing appeared there.
    fn outside_files(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(self.outside())
            .expect("outside readable")
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }
}

fn manifest(cast: &str, terminal: &str) -> Manifest {
    Manifest {
        format: 1,
        cuedeck: "test".into(),
        runbook: "demo.md".into(),
        runbook_sha256: String::new(),
        started: "2026-12-01T10:15:00Z".into(),
        finished: Some("2026-12-01T10:16:00Z".into()),
        terminals: vec![TerminalCast {
            name: terminal.into(),
            file: cast.into(),
        }],
        samples: None,
        steps: vec![StepRecord {
            id: "one".into(),
            number: 1,
            title: "One".into(),
            source_sha256: String::new(),
            terminals: vec![terminal.into()],
            status: StepStatus::Ok,
            exit_code: Some(0),
            start: 0.0,
            end: 0.2,
            expectations: Vec::new(),
            message: None,
            snapshots: Vec::new(),
        }],
    }
}

/// Loads the manifest expecting a refusal; returns its message after checking it
/// names the manifest file and the field.
fn refused(scene: &Scene, field: &str, reason: &str) -> String {
    let err = Manifest::load(&scene.dir()).expect_err("refused");
    assert!(
        matches!(&err, ManifestError::Unsafe { field: f, .. } if f == field),
        "{err:?}"
    );
    let message = err.to_string();
    let file = scene.dir().join("manifest.json").display().to_string();
    assert!(message.starts_with(&file), "{message}");
    assert!(message.contains(field), "{message}");
    assert!(message.contains(reason), "{message}");
    message
}

/// `cuedeck play --check` and `cuedeck export` on the folder: both refuse, naming
/// the manifest and the field, and `export` writes nothing.
fn cli_refuses(scene: &Scene, field: &str) {
    let dir = scene.dir().display().to_string();
    let (code, out, err) = cli_common::cuedeck("play", &["--check", &dir]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("manifest.json: refused"), "{out}");
    assert!(out.contains(field), "{out}");
    let bundle = scene.tmp.path().join("bundle.html");
    let (code, out, err) =
        cli_common::cuedeck("export", &[&dir, "--output", &bundle.display().to_string()]);
    assert_ne!(code, 0, "{out}{err}");
    assert!(err.contains(field), "{err}");
    assert!(!bundle.exists(), "no bundle written");
}

#[test]
fn a_plain_manifest_loads() {
    let scene = Scene::new();
    scene.save(&manifest("main.cast", "Client 1"));
    let m = Manifest::load(&scene.dir()).expect("a plain manifest loads");
    assert_eq!(m.terminals[0].file, "main.cast");
}

#[test]
fn a_cast_path_with_traversal_is_refused() {
    let scene = Scene::new();
    scene.save(&manifest("../outside/secret.cast", "main"));
    refused(&scene, "terminals[0].file", "`..`");
    cli_refuses(&scene, "terminals[0].file");
    assert_eq!(scene.outside_files(), ["secret.cast"]);
}

#[test]
fn an_absolute_cast_or_samples_path_is_refused() {
    let scene = Scene::new();
    let secret = scene.outside().join("secret.cast").display().to_string();
    scene.save(&manifest(&secret, "main"));
    refused(&scene, "terminals[0].file", "absolute path");

    let mut m = manifest("main.cast", "main");
    m.samples = Some("/etc/passwd".into());
    scene.save(&m);
    refused(&scene, "samples", "absolute path");
    cli_refuses(&scene, "samples");
}

#[test]
fn a_runbook_name_that_is_a_path_is_refused() {
    let scene = Scene::new();
    for bad in ["../../../etc/hosts", "/etc/hosts", "sub/demo.md"] {
        let mut m = manifest("main.cast", "main");
        m.runbook = bad.into();
        scene.save(&m);
        refused(&scene, "runbook", "plain file name");
    }
}

#[test]
fn a_cast_that_is_a_symlink_out_of_the_folder_is_refused() {
    let scene = Scene::new();
    std::os::unix::fs::symlink(
        scene.outside().join("secret.cast"),
        scene.dir().join("linked.cast"),
    )
    .expect("symlink");
    scene.save(&manifest("linked.cast", "main"));
    let message = refused(&scene, "terminals[0].file", "outside the rehearsal folder");
    assert!(message.contains("symlink"), "{message}");
    cli_refuses(&scene, "terminals[0].file");
}

#[test]
fn a_symlink_inside_the_folder_is_fine() {
    let scene = Scene::new();
    std::os::unix::fs::symlink("main.cast", scene.dir().join("alias.cast")).expect("symlink");
    scene.save(&manifest("alias.cast", "main"));
    Manifest::load(&scene.dir()).expect("a link that stays inside loads");
}

#[test]
fn a_snapshot_under_a_symlinked_subfolder_is_refused_even_if_missing() {
    let scene = Scene::new();
    std::os::unix::fs::symlink(scene.outside(), scene.dir().join("snapshots")).expect("symlink");
    let mut m = manifest("main.cast", "main");
    m.steps[0].snapshots.push(StepSnapshot {
        terminal: "main".into(),
        file: "snapshots/not-there-yet.png".into(),
    });
    scene.save(&m);
    refused(
        &scene,
        "steps[0].snapshots[0].file",
        "outside the rehearsal folder",
    );
    cli_refuses(&scene, "steps[0].snapshots[0].file");
    assert_eq!(scene.outside_files(), ["secret.cast"]);
}

#[test]
fn terminal_names_with_escapes_or_separators_are_refused() {
    for (name, reason) in [
        ("\u{1b}]0;pwned\u{7}", "control character"),
        ("../etc", "path separator"),
        ("", "empty"),
    ] {
        let scene = Scene::new();
        scene.save(&manifest("main.cast", name));
        refused(&scene, "terminals[0].name", reason);
    }
    let scene = Scene::new();
    let mut m = manifest("main.cast", "main");
    m.steps[0].terminals = vec!["x".repeat(500)];
    scene.save(&m);
    refused(&scene, "steps[0].terminals[0]", "longer than");
}

#[test]
fn the_rehearsal_list_shows_a_refused_folder_with_its_reason() {
    let tmp = tempfile::tempdir().expect("tmp");
    let book = tmp.path().join("demo.md");
    std::fs::write(&book, "# Demo\n").expect("runbook");
    let dir = store::rehearsals_dir(&book).join("20261201-101500");
    std::fs::create_dir_all(&dir).expect("rehearsal dir");
    manifest("../../../../demo.md", "main")
        .save(&dir)
        .expect("manifest");
    let listed = store::list(&book);
    assert_eq!(listed.len(), 1);
    let why = listed[0].manifest.as_ref().expect_err("refused");
    assert!(why.contains("terminals[0].file"), "{why}");
}

/// A runbook in `<tmp>/talk/` whose `.cuedeck` links to `<tmp>/elsewhere/`.
fn linked_cuedeck() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let tmp = tempfile::tempdir().expect("tmp");
    let talk = tmp.path().join("talk");
    let elsewhere = tmp.path().join("elsewhere");
    std::fs::create_dir(&talk).expect("talk");
    std::fs::create_dir(&elsewhere).expect("elsewhere");
    let book = talk.join("demo.md");
    std::fs::write(&book, "# Demo\n\n## One\n\n```bash\necho one\n```\n").expect("runbook");
    std::os::unix::fs::symlink(&elsewhere, talk.join(".cuedeck")).expect("symlink");
    (tmp, book, elsewhere)
}

fn is_empty(dir: &Path) -> bool {
    std::fs::read_dir(dir).expect("readable").next().is_none()
}

#[test]
fn nothing_is_written_through_a_cuedeck_symlinked_out_of_the_folder() {
    let (_tmp, book, elsewhere) = linked_cuedeck();
    let err = store::create_rehearsal_dir(&book).expect_err("refused");
    assert!(matches!(err, WriteDirError::Outside { .. }), "{err:?}");
    let message = err.to_string();
    assert!(message.contains(".cuedeck"), "{message}");
    assert!(
        message.contains("outside the runbook's folder"),
        "{message}"
    );
    // Backups and captures go through the same check.
    let backups = store::backups_dir(&book);
    assert!(store::create_inside(&book, &backups).is_err());
    let captures = book.with_file_name(".cuedeck/captures/demo");
    assert!(store::create_inside(&book, &captures).is_err());
    assert!(is_empty(&elsewhere), "nothing created outside");

    // The recorder, as `cuedeck rehearse` starts it, refuses too.
    let runbook = runbook::load(&book).expect("runbook");
    let err = cuedeck_core::record::Recorder::create(&book, &runbook).expect_err("refused");
    assert!(
        err.to_string().contains("outside the runbook's folder"),
        "{err}"
    );
    assert!(is_empty(&elsewhere), "nothing created outside");
}

#[test]
fn a_cuedeck_symlinked_inside_the_folder_or_a_plain_one_is_used() {
    let tmp = tempfile::tempdir().expect("tmp");
    let book = tmp.path().join("demo.md");
    std::fs::write(&book, "# Demo\n").expect("runbook");
    std::fs::create_dir(tmp.path().join("state")).expect("state");
    std::os::unix::fs::symlink("state", tmp.path().join(".cuedeck")).expect("symlink");
    let dir = store::create_rehearsal_dir(&book).expect("inside is fine");
    assert!(dir.is_dir());
    assert!(tmp.path().join("state/rehearsals/demo").is_dir());

    let plain = tempfile::tempdir().expect("tmp");
    let book = plain.path().join("demo.md");
    std::fs::write(&book, "# Demo\n").expect("runbook");
    assert!(store::create_rehearsal_dir(&book).expect("plain").is_dir());
}

#[test]
fn a_runbook_over_5_mb_is_refused_naming_the_file() {
    let tmp = tempfile::tempdir().expect("tmp");
    let path = tmp.path().join("huge.md");
    // Sparse: the size counts, not the disk used.
    let file = std::fs::File::create(&path).expect("create");
    file.set_len(runbook::MAX_RUNBOOK_BYTES + 1).expect("grow");
    drop(file);
    let err = runbook::load(&path).expect_err("refused");
    assert!(matches!(err, LoadError::TooLarge { .. }), "{err:?}");
    assert!(
        err.to_string().contains(&path.display().to_string()),
        "{err}"
    );
    assert!(err.to_string().contains("5 MB"), "{err}");
    let (code, _, stderr) = cli_common::cuedeck("check", &[&path.display().to_string()]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("huge.md") && stderr.contains("5 MB"),
        "{stderr}"
    );

    // Exactly the limit is still a runbook.
    let at_limit = tmp.path().join("big.md");
    std::fs::write(&at_limit, vec![b'a'; runbook::MAX_RUNBOOK_BYTES as usize]).expect("write");
    runbook::load(&at_limit).expect("5 MB exactly loads");
}

#[test]
fn a_fifo_a_device_or_a_folder_is_refused_without_blocking() {
    let tmp = tempfile::tempdir().expect("tmp");
    let fifo = tmp.path().join("pipe.md");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo runs");
    assert!(made.success());
    // Opening a FIFO for reading blocks until a writer comes: a refusal here
    // proves it was never opened.
    for (path, kind) in [
        (fifo.clone(), "named pipe"),
        (PathBuf::from("/dev/zero"), "device"),
        (tmp.path().to_path_buf(), "folder"),
    ] {
        let err = runbook::load(&path).expect_err("refused");
        assert!(matches!(err, LoadError::NotAFile { .. }), "{err:?}");
        let message = err.to_string();
        assert!(message.contains(&path.display().to_string()), "{message}");
        assert!(message.contains(kind), "{message}");
    }
}
