//! Reading shell code the way an interactive shell will: where each top-level command
//! ends (heredocs, `\` continuations, open quotes, loops and braces kept whole), which
//! `# Terminal N` comment sends the next commands elsewhere, which commands never end
//! on their own, and which tools a command calls.

use std::sync::LazyLock;

use regex::{Regex, RegexSet};

/// A top-level command found in a block, with the comment lines above it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Split {
    /// Terminal named by the last `# Terminal N` comment, if any.
    pub terminal: Option<String>,
    pub text: String,
    pub comment: Option<String>,
    /// 0-based line inside the block.
    pub line: usize,
}

static TERMINAL_MARKER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)^\s*#+\s*(?:in\s+|on\s+)?(terminal|tab|pane|window)\s*#?\s*(\d+|[a-z][\w-]*)\b",
    )
    .expect("static regex")
});

/// `# Terminal 2` -> `Terminal 2`.
pub fn terminal_marker(line: &str) -> Option<String> {
    if !line.trim_start().starts_with('#') {
        return None;
    }
    let caps = TERMINAL_MARKER.captures(line)?;
    let kind = &caps[1];
    let mut kind_title = kind[..1].to_ascii_uppercase();
    kind_title.push_str(&kind[1..].to_ascii_lowercase());
    Some(format!("{kind_title} {}", &caps[2]))
}

/// Strips console prompts: when the block's commands are written after `$ ` (or `# `
/// for root in a `console` block), only those lines run and the rest is output.
pub fn strip_prompts(text: &str, console: bool) -> Option<String> {
    let prompted = |l: &str| l.starts_with("$ ") || l == "$";
    let non_empty: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let any = non_empty.iter().any(|l| prompted(l.trim_start()));
    let all = !non_empty.is_empty() && non_empty.iter().all(|l| prompted(l.trim_start()));
    if !(all || (console && any)) {
        return None;
    }
    let mut out = Vec::new();
    let mut continuing = false;
    for line in text.lines() {
        let trimmed = line.trim_start();
        if let Some(cmd) = trimmed
            .strip_prefix("$ ")
            .or((trimmed == "$").then_some(""))
        {
            out.push(cmd.to_string());
            continuing = needs_more(&out.join("\n"));
        } else if continuing {
            // PS2 continuation lines may be shown as `> `.
            out.push(trimmed.strip_prefix("> ").unwrap_or(line).to_string());
            continuing = needs_more(&out.join("\n"));
        } else {
            // Output shown in the block; keep the line count for line numbers.
            out.push(String::new());
        }
    }
    Some(out.join("\n"))
}

/// Splits shell code into top-level commands.
pub fn split_commands(text: &str) -> Vec<Split> {
    let mut out = Vec::new();
    let mut terminal: Option<String> = None;
    let mut comment: Vec<String> = Vec::new();
    let mut current: Vec<&str> = Vec::new();
    let mut start = 0;
    let mut scanner = Scanner::default();
    for (i, line) in text.lines().enumerate() {
        if current.is_empty() {
            let trimmed = line.trim();
            if trimmed.is_empty() {
                comment.clear();
                continue;
            }
            if let Some(name) = terminal_marker(trimmed) {
                terminal = Some(name);
                comment.clear();
                continue;
            }
            if trimmed.starts_with('#') {
                comment.push(trimmed.to_string());
                continue;
            }
            start = i;
        }
        current.push(line);
        let _ = scanner.feed(line);
        if !scanner.incomplete() {
            out.push(Split {
                terminal: terminal.clone(),
                text: current.join("\n"),
                comment: (!comment.is_empty()).then(|| comment.join("\n")),
                line: start,
            });
            current.clear();
            comment.clear();
            scanner = Scanner::default();
        }
    }
    if !current.is_empty() {
        // An unterminated construct: the shell would wait for more; keep it whole.
        out.push(Split {
            terminal,
            text: current.join("\n"),
            comment: (!comment.is_empty()).then(|| comment.join("\n")),
            line: start,
        });
    }
    out
}

/// Whether `text` is an incomplete command that the shell would continue (PS2).
fn needs_more(text: &str) -> bool {
    let mut s = Scanner::default();
    for line in text.lines() {
        let _ = s.feed(line);
    }
    s.incomplete()
}

/// Tracks what keeps a command open across lines.
#[derive(Default)]
struct Scanner {
    quote: Option<char>,
    /// Parens/brackets and `$(`: depth of open groups.
    depth: i32,
    /// if/fi, do/done, case/esac, { } balance.
    compound: i32,
    /// Heredoc terminators still awaited, in order (with `<<-` flag).
    heredocs: Vec<(String, bool)>,
    in_heredoc: bool,
    continued: bool,
}

static HEREDOC: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"<<(-?)\s*(?:'([^']+)'|"([^"]+)"|\\?([A-Za-z_][A-Za-z0-9_]*))"#)
        .expect("static regex")
});

impl Scanner {
    fn incomplete(&self) -> bool {
        self.quote.is_some()
            || self.depth > 0
            || self.compound > 0
            || !self.heredocs.is_empty()
            || self.continued
    }

    /// Feeds one line; returns its code (quotes and comments blanked), or `None` when
    /// the line is part of a heredoc body.
    fn feed(&mut self, line: &str) -> Option<String> {
        if self.in_heredoc {
            if let Some((word, strip_tabs)) = self.heredocs.first() {
                let candidate = if *strip_tabs {
                    line.trim_start_matches('\t')
                } else {
                    line
                };
                if candidate.trim_end() == word {
                    self.heredocs.remove(0);
                }
            }
            self.in_heredoc = !self.heredocs.is_empty();
            return None;
        }
        let code = self.scan_quotes_and_groups(line);
        let heredocs: Vec<_> = if line.contains("<<") {
            HEREDOC.captures_iter(line).collect()
        } else {
            Vec::new()
        };
        for caps in heredocs {
            let Some(whole) = caps.get(0) else { continue };
            let in_code = code.get(whole.start()..whole.start() + 2) == Some("<<");
            let here_string = line[..whole.start()].ends_with('<');
            if !in_code || here_string {
                continue; // quoted, commented, or a `<<<` here-string
            }
            let word = caps.get(2).or(caps.get(3)).or(caps.get(4));
            if let Some(word) = word {
                self.heredocs
                    .push((word.as_str().to_string(), &caps[1] == "-"));
            }
        }
        self.count_compound(&code);
        let trimmed = code.trim_end();
        self.continued = self.quote.is_none()
            && (line.trim_end().ends_with('\\')
                || trimmed.ends_with('|')
                || trimmed.ends_with("&&")
                || trimmed.ends_with("||"));
        self.in_heredoc = !self.heredocs.is_empty();
        Some(code)
    }

    /// Updates quote and group state; returns the line's code with quoted text and
    /// comments blanked, so keyword and heredoc matching only sees code.
    fn scan_quotes_and_groups(&mut self, line: &str) -> String {
        // Blanks keep byte offsets aligned with `line`, so matches found in the raw
        // line can be checked against the code.
        fn blank(code: &mut String, c: char) {
            code.extend(std::iter::repeat_n(' ', c.len_utf8()));
        }
        let mut code = String::with_capacity(line.len());
        let mut chars = line.chars();
        let mut prev: Option<char> = None;
        while let Some(c) = chars.next() {
            match self.quote {
                Some(q) => {
                    blank(&mut code, c);
                    if c == '\\' && q != '\'' {
                        if let Some(escaped) = chars.next() {
                            blank(&mut code, escaped);
                        }
                    } else if c == q {
                        self.quote = None;
                    }
                }
                None => match c {
                    '\\' => {
                        blank(&mut code, c);
                        if let Some(escaped) = chars.next() {
                            blank(&mut code, escaped);
                        }
                    }
                    '\'' | '"' | '`' => {
                        self.quote = Some(c);
                        blank(&mut code, c);
                    }
                    '#' if prev.is_none_or(|p| p.is_whitespace() || p == ';') => break,
                    '(' | '[' => {
                        self.depth += 1;
                        code.push(c);
                    }
                    ')' | ']' => {
                        self.depth -= 1;
                        code.push(c);
                    }
                    _ => code.push(c),
                },
            }
            prev = Some(c);
        }
        self.depth = self.depth.max(0);
        code
    }

    fn count_compound(&mut self, code: &str) {
        for word in code.split(|c: char| c.is_whitespace() || c == ';' || c == '&' || c == '|') {
            match word {
                "if" | "for" | "while" | "until" | "case" | "select" | "{" => self.compound += 1,
                "fi" | "done" | "esac" | "}" => self.compound -= 1,
                _ => {}
            }
        }
        self.compound = self.compound.max(0);
    }
}

/// Commands that never end on their own, and why (index-aligned with LONG_RUNNER_WHY).
static LONG_RUNNER: LazyLock<RegexSet> = LazyLock::new(|| {
    RegexSet::new([
        r"\bdocker[- ]compose\b[^|;&]*\bup\b",
        r"^\s*watch\s",
        r"\btail\s+(-[a-zA-Z]*[fF]\b|--follow)",
        r"\bkubectl\s+(port-forward|logs\s+(-f|--follow))",
        r"\b(npm|yarn|pnpm)\s+(run\s+)?(dev|start|serve)\b",
        r"\b(uvicorn|gunicorn|hypercorn)\b",
        r"\b(flask\s+run|manage\.py\s+runserver|rails\s+s(erver)?\b)",
        r"-m\s+http\.server\b|\bserver\.(py|js|ts)\b|\bhttp-server\b",
        r"\bjournalctl\b[^|;&]*\s-f\b",
        r"\bcuedeck\s+demo-service\b",
    ])
    .expect("static regex set")
});

const LONG_RUNNER_WHY: &[&str] = &[
    "`docker compose up` without -d stays attached",
    "`watch` runs until stopped",
    "`tail -f` runs until stopped",
    "kubectl stays attached",
    "a dev server runs until stopped",
    "an app server runs until stopped",
    "an app server runs until stopped",
    "a server runs until stopped",
    "`journalctl -f` runs until stopped",
    "the demo service runs until stopped",
];

/// Indexes in LONG_RUNNER of the commands that start a service (not `watch`, `tail`).
const SERVICE_STARTERS: &[usize] = &[0, 3, 4, 5, 6, 7, 9];

/// Commands that start services and return at once (detached containers, units).
static DETACHED_STARTER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"\bdocker[- ]compose\b[^|;&]*\b(up|start)\b|\bdocker\s+(run|start)\b|\bsystemctl\s+(re)?start\b|\bminikube\s+start\b",
    )
    .expect("static regex")
});

/// Whether `command` starts a service the demo then uses: a server, `docker compose
/// up` (attached or not), `docker run`, `systemctl start`. Pre-flight expects the
/// ports of such a runbook to be free and its services to come up later.
pub fn starts_service(command: &str) -> bool {
    let first_line = command.lines().next().unwrap_or("");
    DETACHED_STARTER.is_match(first_line)
        || LONG_RUNNER
            .matches(first_line)
            .into_iter()
            .any(|i| SERVICE_STARTERS.contains(&i))
}

/// `--port 8080`, `--port=8080`, `-p 8080:80` (the host side), `PORT=8080`,
/// `http.server 8080`, `runserver 0.0.0.0:8000`, `--bind :8080`.
static BOUND_PORT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?:--port[= ]|-p\s+(?:\d+(?:\.\d+){3}:)?|\bPORT=|http\.server\s+|runserver\s+(?:[\w.]+:)?|--bind[= ](?:[\w.]*:)?)(\d{2,5})\b",
    )
    .expect("static regex")
});

/// The local ports a service-starting command binds, as its arguments name them.
pub fn bound_ports(command: &str) -> Vec<u16> {
    if !starts_service(command) {
        return Vec::new();
    }
    let mut ports: Vec<u16> = BOUND_PORT
        .captures_iter(command)
        .filter_map(|c| c[1].parse().ok())
        .filter(|p| *p != 0)
        .collect();
    ports.dedup();
    ports
}

static DETACHED: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\s(-d|--detach|-[a-zA-Z]*d[a-zA-Z]*)\b").expect("static regex"));

/// Why `command` keeps running until stopped (a server, `watch`, `tail -f`), if it does.
pub fn long_runner(command: &str) -> Option<&'static str> {
    let first_line = command.lines().next().unwrap_or("");
    // `is_match` stops early on the common case: an ordinary command.
    if !LONG_RUNNER.is_match(first_line) {
        return None;
    }
    let index = LONG_RUNNER.matches(first_line).into_iter().next()?;
    let detached_compose = index == 0 && DETACHED.is_match(first_line);
    (!detached_compose).then(|| LONG_RUNNER_WHY[index])
}

const INTERPRETERS: &[&str] = &[
    "python", "python3", "node", "bash", "sh", "ruby", "exec", "nohup", "sudo",
];
const TWO_WORD_TOOLS: &[&str] = &[
    "docker",
    "docker-compose",
    "kubectl",
    "npm",
    "yarn",
    "pnpm",
    "cargo",
    "go",
    "git",
];

/// A short terminal name for a long-running command: `python3 server.py --port 1`
/// -> `server.py`, `docker compose up` -> `docker compose`, `watch -n 1 x` -> `watch`.
pub fn short_name(command: &str) -> String {
    let words: Vec<&str> = command
        .split_whitespace()
        .filter(|w| !w.starts_with('-') && !w.contains('='))
        .skip_while(|w| INTERPRETERS.contains(w))
        .collect();
    let Some(first) = words.first() else {
        return "background".to_string();
    };
    let first = first.rsplit('/').next().unwrap_or(first);
    match words.get(1) {
        Some(second) if TWO_WORD_TOOLS.contains(&first) => format!("{first} {second}"),
        _ => first.to_string(),
    }
}

static OPEN_URL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"^\s*(?:open|xdg-open|start)\s+["']?(https?://[^\s"']+)["']?\s*$"#)
        .expect("static regex")
});

/// `open "http://..."`: a browser URL, opened outside the app rather than run.
pub fn open_url(command: &str) -> Option<String> {
    let t = command.trim_start();
    let opener = ["open ", "xdg-open ", "start "]
        .iter()
        .any(|p| t.starts_with(p));
    if !opener || !t.contains("://") {
        return None;
    }
    OPEN_URL.captures(command.trim()).map(|c| c[1].to_string())
}

const BUILTINS: &[&str] = &[
    "alias", "bg", "bind", "break", "builtin", "case", "cd", "command", "continue", "declare",
    "do", "done", "echo", "elif", "else", "esac", "eval", "exec", "exit", "export", "false", "fg",
    "fi", "for", "function", "if", "in", "jobs", "kill", "let", "local", "printf", "pwd", "read",
    "readonly", "return", "select", "set", "shift", "source", "test", "then", "time", "trap",
    "true", "type", "typeset", "ulimit", "umask", "unalias", "unset", "until", "wait", "while",
    "{", "}", "[", "[[", "]]", "!", ".", ":", "sudo", "env", "nohup",
];

/// `$((SECONDS+30))` and `((n++))`: arithmetic, not commands.
static ARITHMETIC: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\$?\(\([^)]*\)\)").expect("static regex"));

/// The external programs a command calls (first word of each pipeline stage), for
/// the "tool not on PATH" lint. Paths (`./start.sh`) and builtins are left out.
pub fn tools(command: &str) -> Vec<String> {
    let mut scanner = Scanner::default();
    let mut tools: Vec<String> = Vec::new();
    let joined = command.replace("\\\n", " ");
    for line in joined.lines() {
        let Some(code) = scanner.feed(line) else {
            continue; // a heredoc body is data, not commands
        };
        let code = ARITHMETIC.replace_all(&code, " ");
        let code = code.replace("$(", " ; ").replace(['(', ')'], " ; ");
        for stage in code.split(['|', ';', '&']) {
            let first = stage.split_whitespace().find(|w| {
                !(w.contains('=') && !w.starts_with('=') || matches!(*w, "sudo" | "time" | "!"))
            });
            let Some(word) = first else { continue };
            let plausible = word.starts_with(|c: char| c.is_ascii_alphabetic())
                && word
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '+'));
            if plausible && !BUILTINS.contains(&word) && !tools.iter().any(|t| t == word) {
                tools.push(word.to_string());
            }
        }
    }
    tools
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(src: &str) -> Vec<String> {
        split_commands(src).into_iter().map(|s| s.text).collect()
    }

    #[test]
    fn one_command_per_line() {
        assert_eq!(texts("ls\npwd\n"), vec!["ls", "pwd"]);
    }

    #[test]
    fn heredoc_kept_whole() {
        let src = "python3 - <<'PY'\nimport os\nprint(1)\nPY\necho after\n";
        assert_eq!(
            texts(src),
            vec!["python3 - <<'PY'\nimport os\nprint(1)\nPY", "echo after"]
        );
    }

    #[test]
    fn continuation_quotes_and_loops() {
        let src = "curl -s \\\n  -H 'a' \\\n  http://x\nfor i in 1 2; do\n  echo $i\ndone\njq '{\n a: 1\n}'\n";
        assert_eq!(
            texts(src),
            vec![
                "curl -s \\\n  -H 'a' \\\n  http://x",
                "for i in 1 2; do\n  echo $i\ndone",
                "jq '{\n a: 1\n}'"
            ]
        );
    }

    #[test]
    fn comments_attach_to_next_command() {
        let s = split_commands("# 1. Normal request\ncurl x\n\n# 2. Next\nls\n");
        assert_eq!(s[0].comment.as_deref(), Some("# 1. Normal request"));
        assert_eq!(s[1].comment.as_deref(), Some("# 2. Next"));
        assert_eq!(s[1].line, 4);
    }

    #[test]
    fn terminal_markers_split() {
        let s = split_commands("# Terminal 1\na\n\n# Terminal 2\nb\n");
        assert_eq!(s[0].terminal.as_deref(), Some("Terminal 1"));
        assert_eq!(s[1].terminal.as_deref(), Some("Terminal 2"));
        assert_eq!(terminal_marker("# Client 1 -> Node 1"), None);
    }

    #[test]
    fn prompts_stripped() {
        let out = strip_prompts("$ echo hi\nhi\n$ ls \\\n> -l\n", true).expect("console");
        assert_eq!(texts(&out), vec!["echo hi", "ls \\\n-l"]);
        assert_eq!(strip_prompts("echo hi\n", true), None);
    }

    #[test]
    fn long_runners() {
        assert!(long_runner("docker compose up --build").is_some());
        assert!(long_runner("docker compose up --build -d").is_none());
        assert!(long_runner("watch -n 1 './x.sh'").is_some());
        assert!(long_runner("python3 server.py --engine selectors").is_some());
        assert!(long_runner("curl -s http://x/health").is_none());
    }

    #[test]
    fn short_names() {
        assert_eq!(
            short_name("python3 server.py --engine selectors"),
            "server.py"
        );
        assert_eq!(short_name("docker compose up --build"), "docker compose");
        assert_eq!(short_name("watch -n 1 './demos/x.sh'"), "watch");
        assert_eq!(short_name("PORT=1 ./bin/serve"), "serve");
    }

    #[test]
    fn service_starters_and_their_ports() {
        assert!(starts_service("docker compose up -d"));
        assert!(starts_service("docker run -d -p 8080:80 nginx"));
        assert!(starts_service("cuedeck demo-service --port 7878"));
        assert!(!starts_service("watch -n 1 ./x.sh"));
        assert!(!starts_service("curl -s localhost:8080/health"));
        assert_eq!(bound_ports("cuedeck demo-service --port 7878"), vec![7878]);
        assert_eq!(bound_ports("docker run -d -p 8080:80 nginx"), vec![8080]);
        assert_eq!(bound_ports("python3 -m http.server 9000"), vec![9000]);
        assert_eq!(bound_ports("PORT=3000 npm start"), vec![3000]);
        assert_eq!(bound_ports("uvicorn app:app --port=5001"), vec![5001]);
        // A client naming a port binds nothing.
        assert!(bound_ports("python3 -m src.client_tui --port 5001").is_empty());
    }

    #[test]
    fn tools_of_a_command() {
        assert_eq!(
            tools("VAR=1 curl -s http://x | jq .a && ./start.sh; export X=$(go run y.go)"),
            vec!["curl", "jq", "go"]
        );
        assert_eq!(
            tools("end=$((SECONDS+30))\n((count++))"),
            Vec::<String>::new()
        );
        assert_eq!(
            tools("python3 - <<'PY'\nimport socket\nPY"),
            vec!["python3"]
        );
    }
}
