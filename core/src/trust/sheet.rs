//! The trust sheet: what a runbook would execute beyond the blocks the presenter
//! sees (front-matter env, shell, cwd, interpreters, hidden setup lines, probes of
//! hosts beyond this machine), what it may not do at all, and the digest of its
//! executable parts that a trust decision is pinned to.

use std::path::{Path, PathBuf};

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::env;
use crate::record::redact::Redactor;
use crate::runbook::{BlockKind, Origin, Runbook};

/// One thing the runbook would execute or contact beyond its visible blocks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TrustItem {
    pub kind: TrustKind,
    /// The line of the runbook it is written on.
    pub line: usize,
    /// What it is: `PROMPT_COMMAND`, `python3 -X dev`, `http://10.0.0.5/health`.
    pub subject: String,
    /// What it does, in words: the value, the folder, why it matters.
    pub detail: String,
    /// It reaches beyond the runbook's folder or this machine: said in red.
    pub warn: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum TrustKind {
    Env,
    Shell,
    Cwd,
    Interpreter,
    Hidden,
    Probe,
}

impl TrustKind {
    pub fn label(self) -> &'static str {
        match self {
            Self::Env => "env",
            Self::Shell => "shell",
            Self::Cwd => "cwd",
            Self::Interpreter => "interpreter",
            Self::Hidden => "hidden",
            Self::Probe => "probe",
        }
    }
}

/// Something the runbook may not do, trusted or not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Blocked {
    pub line: usize,
    pub subject: String,
    pub reason: String,
}

/// What trusting the runbook means.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TrustSheet {
    /// The runbook file, as opened.
    pub path: PathBuf,
    /// sha256 of the executable parts: what a trust decision is pinned to.
    pub digest: String,
    /// How many blocks run or type into a terminal.
    pub runnable_blocks: usize,
    pub items: Vec<TrustItem>,
    pub blocked: Vec<Blocked>,
}

impl TrustSheet {
    /// The sheet as text, one item a line (`cuedeck rehearse` prints it first).
    pub fn describe(&self) -> String {
        let blocks = format!(
            "{} runnable block{}",
            self.runnable_blocks,
            if self.runnable_blocks == 1 { "" } else { "s" }
        );
        if self.items.is_empty() {
            return format!("runs {blocks}, and nothing beyond them\n");
        }
        let mut out = format!("runs {blocks}, and beyond them:\n");
        for i in &self.items {
            let mark = if i.warn { "!" } else { " " };
            out.push_str(&format!(
                "  {mark} line {:>4}  {:<11} {}  {}\n",
                i.line,
                i.kind.label(),
                i.subject,
                i.detail
            ));
        }
        out
    }

    /// `file:line: refused: SUBJECT: reason` for each blocked item.
    pub fn refusals(&self) -> Vec<String> {
        self.blocked
            .iter()
            .map(|b| {
                format!(
                    "{}:{}: refused: {}: {}",
                    self.path.display(),
                    b.line,
                    b.subject,
                    b.reason
                )
            })
            .collect()
    }
}

/// The trust sheet of `runbook`, read from `path`.
pub fn sheet(runbook: &Runbook, path: &Path) -> TrustSheet {
    let fm = &runbook.front_matter;
    let fm_line = fm.lines.map_or(1, |(start, _)| start);
    let mut items = Vec::new();
    let mut blocked = Vec::new();
    for (name, value) in &fm.env {
        let line = fm.env_lines.get(name).copied().unwrap_or(fm_line);
        if let Some(reason) = env::refusal(name, value) {
            blocked.push(Blocked {
                line,
                subject: format!("env `{name}`"),
                reason,
            });
            continue;
        }
        let detail = match env::path_prepend(value).filter(|_| name == "PATH") {
            Some(dirs) => format!("puts {dirs} in front of PATH: its programs win"),
            None if value.contains("$(") || value.contains('`') => {
                format!("= {value} (passed as written: Cuedeck evaluates nothing)")
            }
            None => format!("= {value}"),
        };
        items.push(TrustItem {
            kind: TrustKind::Env,
            line,
            subject: name.clone(),
            detail,
            warn: name == "PATH",
        });
    }
    if let Some(shell) = &fm.shell {
        items.push(TrustItem {
            kind: TrustKind::Shell,
            line: fm_line,
            subject: shell.clone(),
            detail: "the shell every terminal starts".into(),
            warn: false,
        });
    }
    let folder = crate::runbook::folder_of(path);
    if let Some(cwd) = &fm.cwd {
        items.push(cwd_item(folder, cwd, fm_line, "every terminal starts in"));
    }
    let mut runnable_blocks = 0;
    for block in runbook.steps.iter().flat_map(|s| &s.blocks) {
        if block.kind == BlockKind::Shown {
            continue;
        }
        runnable_blocks += 1;
        if let Some(interpreter) = &block.attributes.interpreter {
            items.push(TrustItem {
                kind: TrustKind::Interpreter,
                line: block.line,
                subject: interpreter.clone(),
                detail: format!(
                    "runs the {} block instead of its language's usual program",
                    block.lang.as_deref().unwrap_or("untagged")
                ),
                warn: true,
            });
        }
        if let Some(cwd) = &block.attributes.cwd {
            items.push(cwd_item(folder, cwd, block.line, "the block runs in"));
        }
        for hidden in &block.hidden {
            items.push(TrustItem {
                kind: TrustKind::Hidden,
                line: hidden.line,
                subject: hidden.text.clone(),
                detail: "hidden setup: runs before the block, never shown".into(),
                warn: false,
            });
        }
    }
    let probes = runbook
        .services
        .iter()
        .map(|s| (&s.url, s.line, "health probe"))
        .chain(runbook.metrics.iter().map(|m| (&m.url, m.line, "metrics")));
    for (url, line, what) in probes {
        if !is_loopback_url(url) {
            items.push(TrustItem {
                kind: TrustKind::Probe,
                line,
                subject: url.clone(),
                detail: format!("{what} of a host beyond this machine: polled only once trusted"),
                warn: true,
            });
        }
    }
    items.sort_by_key(|i| i.line);
    // The sheet is shown and printed: secrets the runbook marks are masked in it too.
    let redactor = Redactor::for_runbook(runbook);
    for i in &mut items {
        i.subject = redactor.redact_string(&i.subject);
        i.detail = redactor.redact_string(&i.detail);
    }
    TrustSheet {
        path: path.to_path_buf(),
        digest: digest(runbook),
        runnable_blocks,
        items,
        blocked,
    }
}

fn cwd_item(folder: &Path, cwd: &str, line: usize, what: &str) -> TrustItem {
    let leaves = leaves_folder(folder, cwd);
    TrustItem {
        kind: TrustKind::Cwd,
        line,
        subject: cwd.to_owned(),
        detail: if leaves {
            format!("{what} a folder outside the runbook's folder")
        } else {
            format!("{what} this folder, inside the runbook's")
        },
        warn: leaves,
    }
}

/// Whether `cwd` (relative to the runbook's folder, or absolute) is outside it.
fn leaves_folder(folder: &Path, cwd: &str) -> bool {
    if cwd.starts_with('~') || cwd.contains('$') {
        return true;
    }
    let joined = folder.join(cwd);
    let mut depth: i64 = 0;
    let rel = match joined.strip_prefix(folder) {
        Ok(rel) => rel,
        Err(_) => return true,
    };
    for part in rel.components() {
        match part {
            std::path::Component::ParentDir => depth -= 1,
            std::path::Component::Normal(_) => depth += 1,
            std::path::Component::CurDir => {}
            _ => return true,
        }
        if depth < 0 {
            return true;
        }
    }
    false
}

/// A URL whose host is this machine's loopback (`localhost`, `127.0.0.0/8`, `::1`).
pub fn is_loopback_url(url: &str) -> bool {
    let Ok(parsed) = reqwest::Url::parse(url) else {
        return false;
    };
    match parsed.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// sha256 of what executes: the front matter (without its line numbers), the
/// declared probes, and each runnable or typed block's language, attributes,
/// terminal, kind and text. Prose, notes, shown-only blocks and where things stand
/// in the file do not count, so editing them keeps the trust.
pub fn digest(runbook: &Runbook) -> String {
    let mut fm = runbook.front_matter.clone();
    fm.lines = None;
    let mut h = Sha256::new();
    let mut part = |bytes: &[u8]| {
        h.update((bytes.len() as u64).to_le_bytes());
        h.update(bytes);
    };
    part(serde_json::to_string(&fm).unwrap_or_default().as_bytes());
    for s in runbook
        .services
        .iter()
        .filter(|s| s.origin == Origin::Declared)
    {
        part(format!("service {} {} {}", s.name, s.url, s.interval_ms).as_bytes());
    }
    for m in runbook
        .metrics
        .iter()
        .filter(|m| m.origin == Origin::Declared)
    {
        part(format!("metrics {} {} {}", m.name, m.url, m.interval_ms).as_bytes());
    }
    for block in runbook.steps.iter().flat_map(|s| &s.blocks) {
        if block.kind == BlockKind::Shown {
            continue;
        }
        part(block.lang.as_deref().unwrap_or("").as_bytes());
        part(block.info.as_bytes());
        part(block.terminal.as_bytes());
        part(format!("{:?}", block.kind).as_bytes());
        part(block.source.as_bytes());
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Runbook {
        crate::runbook::parse_str(text, Some(Path::new("/talks/demo/runbook.md")))
    }

    const HOSTILE: &str = "---\nshell: bash\ncwd: ../../elsewhere\nenv:\n  API: http://localhost:5001\n  PROMPT_COMMAND: touch /tmp/x\n  \"BASH_FUNC_ls%%\": \"() { echo hijacked; }\"\n  PATH: /opt/demo/bin:$PATH\nservices:\n  - { name: far, url: \"http://10.0.0.5/health\" }\n  - { name: near, url: \"http://127.0.0.1:8080/health\" }\n---\n# Demo\n\n## One\n\n```python {\"interpreter\": \"touch /tmp/y; python3\"}\nprint(\"hi\")\n```\n\n```bash\n#| export TOKEN=abc\necho $TOKEN\n```\n";

    #[test]
    fn the_sheet_lists_what_runs_beyond_the_blocks_and_what_is_refused() {
        let rb = parse(HOSTILE);
        let sheet = sheet(&rb, Path::new("/talks/demo/runbook.md"));
        let subjects: Vec<(TrustKind, &str, usize)> = sheet
            .items
            .iter()
            .map(|i| (i.kind, i.subject.as_str(), i.line))
            .collect();
        assert!(
            subjects.contains(&(TrustKind::Env, "API", 5)),
            "{subjects:?}"
        );
        assert!(
            subjects.contains(&(TrustKind::Env, "PATH", 8)),
            "{subjects:?}"
        );
        assert!(
            subjects.contains(&(TrustKind::Shell, "bash", 1)),
            "{subjects:?}"
        );
        assert!(subjects
            .iter()
            .any(|(k, s, _)| *k == TrustKind::Interpreter && *s == "touch /tmp/y; python3"));
        assert!(subjects
            .iter()
            .any(|(k, s, _)| *k == TrustKind::Hidden && *s == "export TOKEN=abc"));
        assert!(subjects
            .iter()
            .any(|(k, s, _)| *k == TrustKind::Probe && *s == "http://10.0.0.5/health"));
        assert!(!subjects.iter().any(|(_, s, _)| s.contains("127.0.0.1")));
        let cwd = sheet
            .items
            .iter()
            .find(|i| i.kind == TrustKind::Cwd)
            .expect("cwd");
        assert!(cwd.warn && cwd.detail.contains("outside"), "{cwd:?}");
        assert_eq!(sheet.runnable_blocks, 2);
        let refused: Vec<(&str, usize)> = sheet
            .blocked
            .iter()
            .map(|b| (b.subject.as_str(), b.line))
            .collect();
        assert_eq!(
            refused,
            [("env `BASH_FUNC_ls%%`", 7), ("env `PROMPT_COMMAND`", 6)]
        );
        assert!(sheet.refusals()[1]
            .starts_with("/talks/demo/runbook.md:6: refused: env `PROMPT_COMMAND`: the shell"));
    }

    #[test]
    fn prose_edits_keep_the_digest_and_executable_edits_change_it() {
        let base = digest(&parse(HOSTILE));
        let prose = HOSTILE.replace("## One\n", "## One\n\nSome words for the audience.\n");
        assert_eq!(
            digest(&parse(&prose)),
            base,
            "prose and line shifts keep trust"
        );
        for edit in [
            HOSTILE.replace("echo $TOKEN", "echo $TOKEN; rm -rf ~"),
            HOSTILE.replace("http://localhost:5001", "http://localhost:5002"),
            HOSTILE.replace("python3\"}", "python3 -X dev\"}"),
            HOSTILE.replace("#| export TOKEN=abc", "#| export TOKEN=xyz"),
            HOSTILE.replace("10.0.0.5", "10.0.0.6"),
        ] {
            assert_ne!(digest(&parse(&edit)), base, "{edit}");
        }
    }

    #[test]
    fn secrets_the_runbook_marks_are_masked_on_the_sheet() {
        let rb = parse("---\nenv: { TOKEN: tok-secret-9f8e }\nredact: [\"tok-secret-\\\\w+\"]\n---\n# D\n\n## S\n\n```bash\n#| export KEY=tok-secret-1a2b\necho $TOKEN\n```\n");
        let sheet = sheet(&rb, Path::new("/talks/demo/runbook.md"));
        let text = format!("{sheet:?}{}", sheet.describe());
        assert!(!text.contains("9f8e") && !text.contains("1a2b"), "{text}");
        assert!(text.contains("TOKEN"), "the name stays: {text}");
    }

    #[test]
    fn loopback_is_localhost_127_and_ipv6_one_only() {
        for url in [
            "http://localhost:8080/health",
            "http://127.0.0.1/x",
            "http://127.1.2.3:9/",
            "http://[::1]:8080/",
            "https://LOCALHOST/",
        ] {
            assert!(is_loopback_url(url), "{url}");
        }
        for url in [
            "http://10.0.0.5/health",
            "http://169.254.169.254/latest/meta-data",
            "http://[fe80::1]/",
            "http://example.com/",
            "http://localhost.example.com/",
            "http://0.0.0.0:8080/",
            "not a url",
        ] {
            assert!(!is_loopback_url(url), "{url}");
        }
    }

    #[test]
    fn a_cwd_leaves_the_folder_by_dots_home_absolute_or_variables() {
        let folder = Path::new("/talks/demo");
        assert!(!leaves_folder(folder, "sub/dir"));
        assert!(!leaves_folder(folder, "sub/../other"));
        assert!(leaves_folder(folder, "../elsewhere"));
        assert!(leaves_folder(folder, "sub/../../x"));
        assert!(leaves_folder(folder, "/etc"));
        assert!(leaves_folder(folder, "~/x"));
        assert!(leaves_folder(folder, "$HOME"));
    }
}
