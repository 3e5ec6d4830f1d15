//! What in a code block is a command and what is not: untagged fences that read as
//! shell (every command starts with a known CLI or a program on PATH), and output
//! pasted into shell blocks after the command that printed it (a `kubectl get`
//! table, YAML after `-o yaml`, lines after a `$ ` prompt). Pasted output is shown
//! to the presenter and never sent to a shell.

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};

use regex::Regex;

use crate::runbook::shell;
use crate::terminal::shell_integration::tool_path;

/// CLIs demos call, known without looking at PATH (the demo machine may not be
/// this one).
const WELL_KNOWN: &[&str] = &[
    "kubectl",
    "docker",
    "docker-compose",
    "podman",
    "helm",
    "oc",
    "kind",
    "minikube",
    "k3d",
    "kustomize",
    "istioctl",
    "argocd",
    "flux",
    "stern",
    "skaffold",
    "tilt",
    "curl",
    "wget",
    "http",
    "grpcurl",
    "git",
    "gh",
    "psql",
    "mysql",
    "redis-cli",
    "mongosh",
    "sqlite3",
    "aws",
    "gcloud",
    "az",
    "eksctl",
    "terraform",
    "pulumi",
    "packer",
    "ansible",
    "ansible-playbook",
    "vault",
    "consul",
    "nomad",
    "npm",
    "npx",
    "yarn",
    "pnpm",
    "node",
    "deno",
    "bun",
    "python",
    "python3",
    "pip",
    "pip3",
    "uv",
    "poetry",
    "pytest",
    "go",
    "cargo",
    "rustc",
    "make",
    "java",
    "mvn",
    "gradle",
    "dotnet",
    "ruby",
    "bundle",
    "ssh",
    "scp",
    "jq",
    "yq",
    "ls",
    "cd",
    "cat",
    "echo",
    "export",
    "mkdir",
    "rm",
    "cp",
    "mv",
    "sudo",
    "source",
    "chmod",
    "tail",
    "grep",
    "watch",
    "sleep",
    "openssl",
    "nc",
    "hey",
    "k6",
    "wrk",
    "ab",
    "kcat",
    "kafka-topics",
    "systemctl",
    "journalctl",
    "brew",
    "apt",
    "apt-get",
    "export",
];

/// Words on PATH that open English sentences too ("install the chart first"): only
/// taken for commands when the line also has shell syntax.
fn has_shell_syntax(line: &str) -> bool {
    line.contains(" -")
        || line.contains(['|', '/', '=', '$', '>', '"', '\''])
        || line.split_whitespace().count() == 1
}

/// The program a command runs: its first word after `VAR=value` assignments and
/// `sudo`.
fn program(command: &str) -> Option<&str> {
    command
        .split_whitespace()
        .find(|w| !(w.contains('=') && !w.starts_with('=') || *w == "sudo"))
}

fn on_path(word: &str) -> bool {
    static SEEN: LazyLock<Mutex<HashMap<String, bool>>> = LazyLock::new(Mutex::default);
    let Ok(mut seen) = SEEN.lock() else {
        return false;
    };
    if let Some(known) = seen.get(word) {
        return *known;
    }
    let found = tool_path(word).is_some();
    seen.insert(word.to_string(), found);
    found
}

/// Whether `command` (one top-level command) starts with a program.
fn is_command(command: &str) -> bool {
    let first_line = command.lines().next().unwrap_or("").trim();
    let Some(word) = program(first_line) else {
        return false;
    };
    let plausible = word
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/' | '+'));
    if !plausible || reads_as_prose(first_line) {
        return false;
    }
    if word.starts_with("./") || word.starts_with('/') || WELL_KNOWN.contains(&word) {
        return true;
    }
    word.starts_with(|c: char| c.is_ascii_lowercase())
        && has_shell_syntax(first_line)
        && on_path(word)
}

/// "make sure the cluster is up." is a sentence, `docker build .` a command.
fn reads_as_prose(line: &str) -> bool {
    let mut rev = line.chars().rev();
    matches!(rev.next(), Some('.' | '?' | '!')) && rev.next().is_some_and(char::is_alphabetic)
}

/// `//` lines: people write them as notes in untagged blocks; shown, not sent.
pub(super) fn is_slash_comment(line: &str) -> bool {
    line.trim_start().starts_with("//")
}

/// Whether an untagged block reads as shell: it has a command, every command starts
/// with a program, and no line looks like output. The programs, for the reason.
pub(super) fn untagged_shell(text: &str) -> Option<Vec<String>> {
    let code: String = text
        .lines()
        .map(|l| if is_slash_comment(l) { "" } else { l })
        .collect::<Vec<_>>()
        .join("\n");
    if !pasted_output(&code).is_empty() {
        return None;
    }
    let commands = shell::split_commands(&code);
    if commands.is_empty() || !commands.iter().all(|c| is_command(&c.text)) {
        return None;
    }
    let mut programs: Vec<String> = Vec::new();
    for c in &commands {
        if let Some(p) = program(&c.text) {
            if !programs.iter().any(|q| q == p) {
                programs.push(p.to_string());
            }
        }
    }
    Some(programs)
}

static TABLE_HEADER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^[A-Z][A-Z0-9_()%/.-]*(?: [A-Z][A-Z0-9_()%/.-]*)?(?:\s{2,}[A-Z][A-Z0-9_()%/.-]*(?: [A-Z][A-Z0-9_()%/.-]*)?)+\s*$")
        .expect("static regex")
});

static STRUCTURED_OUTPUT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\s(?:-o\s*|--output[=\s]+)(?:yaml|json)\b").expect("static regex")
});

static DATA_LINE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"^(?:\s+\S|[\w.-]+:(?:\s|$)|- |[{}\[\]"]|---)"#).expect("static regex")
});

/// What the line before said about the lines after it.
#[derive(Clone, Copy, PartialEq)]
enum Run {
    Code,
    /// Rows under a `NAME  READY  STATUS` header.
    Table,
    /// YAML or JSON after a `get -o yaml`.
    Structured,
    /// After a command written at a `$ ` prompt.
    Prompted,
}

/// Indices of the lines of a shell block that are output pasted after a command.
/// Lines that continue a command (heredoc bodies, quotes) never are.
pub(super) fn pasted_output(text: &str) -> Vec<usize> {
    let lines: Vec<&str> = text.lines().collect();
    let continues = shell::continuation_lines(text);
    let prompts = lines.iter().any(|l| l.trim_start().starts_with("$ "));
    let mut out = Vec::new();
    let mut run = Run::Code;
    for (i, line) in lines.iter().enumerate() {
        let t = line.trim();
        if continues.get(i).copied().unwrap_or(false) {
            continue;
        }
        if t.is_empty() {
            if run != Run::Prompted {
                run = Run::Code;
            }
            continue;
        }
        if prompts {
            if t.starts_with("$ ") || t == "$" {
                run = Run::Prompted;
            } else if run == Run::Prompted {
                out.push(i);
            }
            continue;
        }
        let is_comment = t.starts_with('#');
        let output = match run {
            Run::Table => !is_comment && !starts_with_program(t),
            Run::Structured => !is_comment && DATA_LINE.is_match(line),
            Run::Code | Run::Prompted => TABLE_HEADER.is_match(t),
        };
        if output {
            out.push(i);
            if run == Run::Code {
                run = Run::Table;
            }
            continue;
        }
        run = if !is_comment && STRUCTURED_OUTPUT.is_match(t) {
            Run::Structured
        } else {
            Run::Code
        };
    }
    out
}

fn starts_with_program(line: &str) -> bool {
    program(line).is_some_and(|w| WELL_KNOWN.contains(&w) || w.starts_with("./"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn untagged_commands_read_as_shell() {
        assert_eq!(
            untagged_shell("kubectl get pods\n// the pods come up\nhelm list -A\n"),
            Some(vec!["kubectl".to_string(), "helm".to_string()])
        );
        assert_eq!(untagged_shell("Hello world\n"), None);
        assert_eq!(untagged_shell("make sure the cluster is up.\n"), None);
        assert_eq!(
            untagged_shell("kubectl get pods\nNAME   READY   STATUS\nweb-1  1/1     Running\n"),
            None
        );
        assert_eq!(untagged_shell("{\"a\": 1}\n"), None);
        assert_eq!(untagged_shell("# only a comment\n"), None);
    }

    #[test]
    fn tables_yaml_and_prompted_output() {
        let table = "kubectl get pods\nNAME    READY   STATUS\nweb-1   1/1     Running\n\nkubectl get svc\n";
        assert_eq!(pasted_output(table), vec![1, 2]);
        let yaml = "kubectl get deploy web -o yaml\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nkubectl get pods\n";
        assert_eq!(pasted_output(yaml), vec![1, 2, 3, 4]);
        let prompted = "$ echo hi\nhi\n$ ls\na  b\n";
        assert_eq!(pasted_output(prompted), vec![1, 3]);
        let heredoc = "cat <<EOF > x.yaml\nNAME   READY   STATUS\nkind: Pod\nEOF\n";
        assert!(pasted_output(heredoc).is_empty());
    }
}
