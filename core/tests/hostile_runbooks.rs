//! Hostile runbooks, as people download them: front-matter `env` that the shell or
//! the loader would execute, `PATH` replaced, an interpreter that is a command line,
//! a `cwd` outside the runbook's folder. `cuedeck check` reports each refused one as
//! an error naming the file, the line and the reason; `cuedeck rehearse` refuses
//! with exit 3 before anything runs (the marker file an attack would create is never
//! there); what may run is listed before it runs; values are never evaluated.

mod cli_common;

use std::path::{Path, PathBuf};

struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Self {
        let dir =
            std::env::temp_dir().join(format!("cuedeck-hostile-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("scratch folder");
        Self(dir)
    }

    fn marker(&self) -> PathBuf {
        self.0.join("attack-ran")
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A runbook whose front matter `env` holds `entry` (one YAML line) and whose one
/// block echoes: the env entry is on line 3.
fn runbook(dir: &Path, entry: &str) -> PathBuf {
    let path = dir.join("hostile.md");
    let text =
        format!("---\nenv:\n  {entry}\n---\n# Hostile\n\n## Hello\n\n```bash\necho hello\n```\n");
    std::fs::write(&path, text).expect("write the runbook");
    path
}

/// (name, the env line, what the refusal says).
fn env_vectors(s: &Scratch) -> Vec<(&'static str, String, &'static str)> {
    let m = s.marker().display().to_string();
    let evil_script = s.0.join("evil.sh");
    std::fs::write(&evil_script, format!("touch {m}\n")).expect("evil script");
    let evil_bin = s.0.join("evilbin");
    std::fs::create_dir_all(&evil_bin).expect("evil bin");
    let echo = evil_bin.join("echo");
    std::fs::write(&echo, format!("#!/bin/sh\ntouch {m}\n")).expect("evil echo");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&echo, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let script = evil_script.display().to_string();
    let bin = evil_bin.display().to_string();
    vec![
        (
            "prompt-command",
            format!("PROMPT_COMMAND: \"touch {m}\""),
            "every prompt",
        ),
        ("ps0", format!("PS0: \"$(touch {m})\""), "every prompt"),
        ("ps1", format!("PS1: \"$(touch {m}) $ \""), "every prompt"),
        ("ps4", format!("PS4: \"$(touch {m})\""), "every prompt"),
        (
            "bash-env",
            format!("BASH_ENV: \"{script}\""),
            "runs the file",
        ),
        ("env", format!("ENV: \"{script}\""), "runs the file"),
        (
            "zdotdir",
            format!("ZDOTDIR: \"{}\"", s.0.display()),
            "start-up files",
        ),
        (
            "bash-func",
            format!("\"BASH_FUNC_echo%%\": \"() {{ touch {m}; }}\""),
            "shell function",
        ),
        (
            "ld-preload",
            "LD_PRELOAD: /nonexistent/evil.so".into(),
            "dynamic loader",
        ),
        (
            "ld-library-path",
            format!("LD_LIBRARY_PATH: \"{bin}\""),
            "dynamic loader",
        ),
        (
            "dyld",
            "DYLD_INSERT_LIBRARIES: /tmp/evil.dylib".into(),
            "macOS loader",
        ),
        ("shellopts", "SHELLOPTS: xtrace".into(), "every command"),
        ("bashopts", "BASHOPTS: extdebug".into(), "every command"),
        ("ifs", "IFS: \"x\"".into(), "splits every command line"),
        ("cuedeck", "CUEDECK_TERMINAL: evil".into(), "Cuedeck's own"),
        (
            "path-replaced",
            format!("PATH: \"{bin}\""),
            "replacing PATH",
        ),
    ]
}

#[test]
fn every_env_vector_is_an_error_in_check_and_refused_by_rehearse_before_anything_runs() {
    let s = Scratch::new("env");
    let vectors = env_vectors(&s);
    assert!(vectors.len() >= 15);
    for (name, entry, reason) in vectors {
        let path = runbook(&s.0, &entry);
        let file = path.display().to_string();
        let (code, out, err) = cli_common::cuedeck("check", &[&file]);
        let said = format!("{out}{err}");
        assert_eq!(code, 1, "{name}: check fails\n{said}");
        assert!(
            said.contains(&format!("{file}:3: error:")) && said.contains(reason),
            "{name}: check names the file, line 3 and why ({reason}):\n{said}"
        );
        let (code, out, err) = cli_common::cuedeck("rehearse", &["--no-record", &file]);
        assert_eq!(code, 3, "{name}: rehearse refuses\n{out}\n{err}");
        assert!(
            err.contains(&format!("{file}:3: refused:")) && err.contains(reason),
            "{name}: the refusal names the file, line and reason:\n{err}"
        );
        assert!(!out.contains("hello"), "{name}: nothing ran:\n{out}");
        assert!(!s.marker().exists(), "{name}: the attack never ran");
        assert!(
            !s.0.join(".cuedeck").exists(),
            "{name}: nothing was recorded"
        );
    }
}

#[test]
fn allowed_env_is_listed_first_passed_as_written_and_path_only_prepended() {
    let s = Scratch::new("allowed");
    let m = s.marker().display().to_string();
    let bin = s.0.join("bin");
    std::fs::create_dir_all(&bin).expect("bin");
    let path = s.0.join("ok.md");
    std::fs::write(
        &path,
        format!(
            "---\nenv:\n  GREETING: \"$(touch {m})\"\n  PATH: \"{}:$PATH\"\n---\n# Fine\n\n## Show\n\n```bash\necho \"greeting=$GREETING\"; echo \"path=$PATH\"; command -v ls\n```\n",
            bin.display()
        ),
    )
    .expect("runbook");
    let file = path.display().to_string();
    let (code, out, err) = cli_common::cuedeck("rehearse", &[&file]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(
        err.contains("GREETING") && err.contains("passed as written"),
        "the sheet lists the env first:\n{err}"
    );
    assert!(err.contains("in front of PATH"), "{err}");
    let cast = cast_text(&s.0.join(".cuedeck/rehearsals/ok"));
    assert!(
        cast.contains(&format!("greeting=$(touch {m})")),
        "the value reached the shell as written:\n{cast}"
    );
    // The shell puts Cuedeck's own folder first (for `cuedeck demo-service`) unless
    // PATH already holds it; the runbook's folder comes next, in front of whatever the
    // user's profile made of the inherited PATH.
    let own_dir = Path::new(env!("CARGO_BIN_EXE_cuedeck"))
        .parent()
        .expect("the CLI is in a folder")
        .display()
        .to_string();
    // The last `path=` is the output line; the first is the command's own echo.
    let shown = cast
        .rsplit("path=")
        .next()
        .and_then(|rest| rest.split("\\r\\n").next())
        .unwrap_or_default();
    let dirs: Vec<&str> = shown.split(':').skip_while(|d| *d == own_dir).collect();
    assert_eq!(
        dirs.first().copied(),
        Some(bin.display().to_string().as_str()),
        "the runbook's folder is put in front of the inherited PATH:\n{cast}"
    );
    assert!(dirs.len() > 1, "the inherited PATH follows it:\n{cast}");
    assert!(
        cast.contains("/ls"),
        "the inherited PATH still finds ls:\n{cast}"
    );
    assert!(
        !s.marker().exists(),
        "a command substitution in a value is never evaluated"
    );
}

/// Every cast of the one rehearsal under `root`, concatenated.
fn cast_text(root: &Path) -> String {
    let mut text = String::new();
    for rehearsal in std::fs::read_dir(root).expect("a rehearsal").flatten() {
        for file in std::fs::read_dir(rehearsal.path())
            .expect("its files")
            .flatten()
        {
            if file.path().extension().is_some_and(|e| e == "cast") {
                text.push_str(&std::fs::read_to_string(file.path()).expect("a cast"));
            }
        }
    }
    text
}

#[test]
fn an_interpreter_command_line_and_a_cwd_outside_are_on_the_sheet_before_they_run() {
    let s = Scratch::new("shown");
    let m = s.marker().display().to_string();
    let path = s.0.join("interp.md");
    std::fs::write(
        &path,
        format!(
            "---\ncwd: ..\n---\n# Interp\n\n## Python\n\n```python {{\"interpreter\": \"touch {m}; python3\"}}\nprint(\"hi\")\n```\n"
        ),
    )
    .expect("runbook");
    let file = path.display().to_string();
    let (code, out, err) = cli_common::cuedeck("check", &[&file]);
    let said = format!("{out}{err}");
    assert_eq!(code, 0, "a warning, not an error:\n{said}");
    assert!(
        said.contains(&format!(
            "{file}:8: warning: interpreter `touch {m}; python3` is a shell command line"
        )),
        "{said}"
    );
    let (_, _, err) = cli_common::cuedeck("rehearse", &["--no-record", &file]);
    let sheet_end = err.find("rehearsal of").unwrap_or(err.len());
    let sheet = &err[..sheet_end];
    assert!(
        sheet.contains("line    8  interpreter") && sheet.contains(&format!("touch {m}; python3")),
        "the interpreter is listed before the rehearsal starts:\n{err}"
    );
    assert!(
        sheet.contains("cwd") && sheet.contains("outside the runbook's folder"),
        "{err}"
    );
}
