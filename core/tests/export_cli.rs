//! `cuedeck export` as a user runs it: a real rehearsal of the tour exported into one
//! self-contained, redacted HTML file (and a folder), and the errors that name what
//! is wrong.

mod cli_common;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

fn export(args: &[&str]) -> (i32, String, String) {
    cli_common::cuedeck("export", args)
}

fn scratch(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("cuedeck-export-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("tmp dir");
    let path = dir.join(format!("{name}.md"));
    std::fs::write(&path, text).expect("write runbook");
    path
}

/// The tour, rehearsed once for every test here: (runbook copy, rehearsal folder).
///
/// nextest runs each test in its own process, so the rehearsal is shared through a
/// folder in the target's scratch space, keyed by the runner (our parent) and the
/// build of `cuedeck`. The tour's service binds a fixed port, so these tests and the
/// rehearse_cli tour test share one nextest test group (`.config/nextest.toml`) of one
/// thread: they never rehearse at once, and the first one here rehearses for all.
fn tour() -> &'static (PathBuf, PathBuf) {
    static TOUR: OnceLock<(PathBuf, PathBuf)> = OnceLock::new();
    TOUR.get_or_init(|| {
        let shared = shared_tour_folder();
        std::fs::create_dir_all(&shared).expect("shared tour folder");
        let tour = shared.join("tour.md");
        let done = shared.join("rehearsed");
        if !done.is_file() {
            let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("../runbooks/tour.md");
            std::fs::copy(&source, &tour).expect("copy the tour");
            let (code, out, err) = cli_common::cuedeck("rehearse", &[&tour.display().to_string()]);
            assert_eq!(code, 0, "the tour rehearses green\n{out}\n{err}");
            std::fs::write(&done, "").expect("mark the rehearsal done");
        }
        let root = shared.join(".cuedeck").join("rehearsals").join("tour");
        let dir = std::fs::read_dir(&root)
            .expect("a rehearsals folder")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .find(|p| p.join("manifest.json").is_file())
            .expect("a rehearsal folder");
        (tour, dir)
    })
}

/// `<target tmp>/export-tour-<runner pid>-<cuedeck build time>`: the same for every
/// test of one run, new for the next run or a rebuilt binary.
fn shared_tour_folder() -> PathBuf {
    let built = std::fs::metadata(env!("CARGO_BIN_EXE_cuedeck"))
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_secs());
    Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "export-tour-{}-{built}",
        std::os::unix::process::parent_id()
    ))
}

fn manifest(dir: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).expect("manifest"))
        .expect("manifest JSON")
}

fn casts_bytes(dir: &Path) -> u64 {
    manifest(dir)["terminals"]
        .as_array()
        .expect("terminals")
        .iter()
        .map(|t| {
            std::fs::metadata(dir.join(t["file"].as_str().expect("file")))
                .expect("cast")
                .len()
        })
        .sum()
}

fn escaped(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// `src=` / `href=` attributes (HTML or JS strings) that point at the network.
fn network_refs(html: &str) -> Vec<String> {
    let re = regex::Regex::new(r#"(?i)\b(src|href)\s*=\s*\\?["']?\s*(https?:)?//"#).expect("regex");
    re.find_iter(html).map(|m| m.as_str().to_string()).collect()
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read dir").flatten() {
        let p = e.path();
        if p.is_dir() {
            copy_dir(&p, &to.join(e.file_name()));
        } else {
            std::fs::copy(&p, to.join(e.file_name())).expect("copy");
        }
    }
}

#[test]
fn the_tour_exports_to_one_redacted_self_contained_file() {
    let (tour, dir) = tour();
    let out = tour.with_file_name("tour-backup.html");
    let (code, stdout, err) = export(&[
        &tour.display().to_string(),
        "-o",
        &out.display().to_string(),
        "--notes",
    ]);
    assert_eq!(code, 0, "{stdout}\n{err}");
    let html = std::fs::read_to_string(&out).expect("the bundle");
    let size = html.len() as u64;
    assert!(
        stdout.contains(&out.display().to_string()) && stdout.contains(&format!("{size} bytes")),
        "the path and the size are printed: {stdout}"
    );
    assert!(stdout.contains("KB"), "{stdout}");
    let casts = casts_bytes(dir);
    assert!(
        stdout.contains(&format!("casts: {casts} bytes")),
        "the casts' size is printed: {stdout}"
    );
    eprintln!("tour bundle: {size} bytes, casts {casts} bytes");

    let m = manifest(dir);
    let steps = m["steps"].as_array().expect("steps");
    assert!(steps.len() >= 3, "the tour has steps");
    for s in steps {
        let title = s["title"].as_str().expect("title");
        assert!(
            html.contains(&escaped(title)),
            "step title `{title}` is in the bundle"
        );
    }
    assert!(
        !html.contains("tour-secret-7f3a9c") && !html.contains("7f3a9c"),
        "the redacted token appears nowhere"
    );
    assert!(
        html.contains("API token: ******************"),
        "the masked token is played"
    );
    assert!(
        html.contains("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; script-src 'sha256-"),
        "a strict CSP"
    );
    assert!(network_refs(&html).is_empty(), "{:?}", network_refs(&html));
    assert!(
        size < 2 * 1024 * 1024 + casts,
        "{size} bytes is under 2 MB plus the casts ({casts})"
    );
    assert!(html.contains("pauseOnMarkers") && html.contains("AsciinemaPlayer"));
    // With --notes, the tour's talking points are beside the steps.
    assert!(html.contains("class=\"notes\""), "notes shown with --notes");
    let _ = std::fs::remove_file(&out);
}

#[test]
fn a_rehearsal_folder_exports_and_notes_stay_out_by_default() {
    let (tour, dir) = tour();
    let out = tour.with_file_name("from-folder.html");
    let (code, stdout, err) =
        export(&[&dir.display().to_string(), "-o", &out.display().to_string()]);
    assert_eq!(code, 0, "{stdout}\n{err}");
    let html = std::fs::read_to_string(&out).expect("the bundle");
    assert!(!html.contains("7f3a9c"));
    assert!(
        !html.contains("<dl class=\"notes\""),
        "no notes without --notes"
    );
    // The runbook beside `.cuedeck/` was found: the steps have budgets.
    assert!(html.contains("title=\"recorded "), "budgets shown");
    let _ = std::fs::remove_file(&out);
}

#[test]
fn dir_writes_index_casts_and_snapshots() {
    let (tour, dir) = tour();
    let out = tour.with_file_name("bundle-folder");
    let (code, stdout, err) = export(&[
        &tour.display().to_string(),
        "--dir",
        &out.display().to_string(),
    ]);
    assert_eq!(code, 0, "{stdout}\n{err}");
    let index = std::fs::read_to_string(out.join("index.html")).expect("index.html");
    assert!(index.contains("Content-Security-Policy"));
    let m = manifest(dir);
    for t in m["terminals"].as_array().expect("terminals") {
        let file = t["file"].as_str().expect("file");
        let cast = std::fs::read_to_string(out.join(file)).expect("the cast beside index.html");
        assert!(cast.starts_with("{\"version\":2"), "{file} is asciicast v2");
        assert!(!cast.contains("7f3a9c"), "{file} is redacted");
    }
    let shots: usize = m["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .map(|s| s["snapshots"].as_array().map_or(0, Vec::len))
        .sum();
    if shots > 0 {
        let pngs = std::fs::read_dir(out.join("snapshots"))
            .expect("snapshots")
            .count();
        assert_eq!(pngs, shots);
        assert!(index.contains("data:image/png;base64,"), "posters embedded");
    }
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn runbook_text_is_escaped_and_redacted() {
    let path = scratch(
        "hostile",
        "---\nredact: [\"sk-live-\\\\d+\"]\n---\n# Hostile <script>alert(1)</script>\n\n\
         ## Show `<img src=x onerror=alert(1)>` sk-live-42\n\n\
         ### Talking Points\n\nSay <script>alert(2)</script> and sk-live-99.\n\n\
         ```bash\necho 'key sk-live-1234 & <b>bold</b>'\n```\n",
    );
    let (code, out, err) = cli_common::cuedeck("rehearse", &[&path.display().to_string()]);
    assert_eq!(code, 0, "{out}\n{err}");
    let html_path = path.with_file_name("hostile.html");
    let (code, out, err) = export(&[
        &path.display().to_string(),
        "--notes",
        "-o",
        &html_path.display().to_string(),
    ]);
    assert_eq!(code, 0, "{out}\n{err}");
    let html = std::fs::read_to_string(&html_path).expect("bundle");
    assert!(
        !html.contains("<img src=x"),
        "markup from the runbook is text"
    );
    assert!(
        !html.contains("<script>alert"),
        "no script from the runbook"
    );
    assert!(
        html.contains("&lt;img src=x onerror=alert(1)&gt;"),
        "the title is shown as text"
    );
    for secret in ["sk-live-42", "sk-live-99", "sk-live-1234"] {
        assert!(!html.contains(secret), "{secret} is redacted");
    }
    let _ = std::fs::remove_dir_all(path.parent().expect("folder"));
}

#[test]
fn missing_things_are_named_with_exit_2() {
    let (code, _, err) = export(&["/cuedeck/no/such/rehearsal"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("/cuedeck/no/such/rehearsal does not exist"),
        "{err}"
    );

    let empty = std::env::temp_dir().join(format!("cuedeck-export-{}-empty", std::process::id()));
    std::fs::create_dir_all(&empty).expect("mkdir");
    let (code, _, err) = export(&[&empty.display().to_string()]);
    assert_eq!(code, 2);
    assert!(
        err.contains(&format!("{} is not a rehearsal folder", empty.display()))
            && err.contains("manifest.json"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&empty);

    let fresh = scratch("fresh", "# Fresh\n\n## One\n\n```bash\necho one\n```\n");
    let (code, _, err) = export(&[&fresh.display().to_string()]);
    assert_eq!(code, 2);
    assert!(err.contains("has no rehearsals yet"), "{err}");
    let _ = std::fs::remove_dir_all(fresh.parent().expect("folder"));
}

#[test]
fn an_unknown_step_is_named_with_the_steps_there_are() {
    let (_, dir) = tour();
    let (code, _, err) = export(&[&dir.display().to_string(), "--step", "no-such-step"]);
    assert_eq!(code, 2);
    assert!(err.contains("no step `no-such-step`"), "{err}");
    assert!(
        err.contains("set-the-stage, start-the-service"),
        "the steps are listed: {err}"
    );
}

#[test]
fn a_corrupt_cast_is_named_with_its_line() {
    let (_, dir) = tour();
    let copy = std::env::temp_dir().join(format!("cuedeck-export-{}-corrupt", std::process::id()));
    let _ = std::fs::remove_dir_all(&copy);
    copy_dir(dir, &copy);
    let m = manifest(&copy);
    let file = m["terminals"][0]["file"]
        .as_str()
        .expect("a cast")
        .to_string();
    let path = copy.join(&file);
    let text = std::fs::read_to_string(&path).expect("cast");
    let mut lines: Vec<&str> = text.lines().collect();
    assert!(lines.len() > 3, "the cast has events");
    lines[2] = "[1.0, \"o\", this is not JSON";
    std::fs::write(&path, lines.join("\n") + "\n").expect("corrupt it");
    let (code, _, err) = export(&[&copy.display().to_string()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains(&format!("{file}:3: corrupt cast")), "{err}");
    let _ = std::fs::remove_dir_all(&copy);
}

#[test]
fn snapshots_listed_in_the_manifest_become_posters() {
    let (_, dir) = tour();
    let copy = std::env::temp_dir().join(format!("cuedeck-export-{}-posters", std::process::id()));
    let _ = std::fs::remove_dir_all(&copy);
    copy_dir(dir, &copy);
    let mut m = manifest(&copy);
    std::fs::create_dir_all(copy.join("snapshots")).expect("mkdir");
    let png = b"\x89PNG\r\n\x1a\n-not-really-an-image".to_vec();
    std::fs::write(copy.join("snapshots/set-the-stage--main.png"), &png).expect("png");
    m["steps"][0]["snapshots"] = serde_json::json!([
        { "terminal": "main", "file": "snapshots/set-the-stage--main.png" },
        { "terminal": "main", "file": "snapshots/missing.png" }
    ]);
    std::fs::write(copy.join("manifest.json"), m.to_string()).expect("manifest");
    let out = copy.join("bundle");
    let (code, stdout, err) = export(&[
        &copy.display().to_string(),
        "--dir",
        &out.display().to_string(),
    ]);
    assert_eq!(code, 0, "a missing snapshot is no error\n{stdout}\n{err}");
    // The tour's own per-step snapshots are there too: at least the one written here.
    assert!(stdout.contains(" snapshot"), "{stdout}");
    let index = std::fs::read_to_string(out.join("index.html")).expect("index");
    assert!(
        index.contains("<img src=\"data:image/png;base64,iVBORw0KGgot"),
        "the poster is inline"
    );
    assert_eq!(
        std::fs::read(out.join("snapshots/set-the-stage--main.png")).expect("copied"),
        png
    );
    let _ = std::fs::remove_dir_all(&copy);
}
