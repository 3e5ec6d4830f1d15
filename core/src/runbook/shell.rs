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

/// `# Client 1 -> Node 1`, `# Node 3`, `# Server 2:`: a numbered role names the
/// terminal. The number is required, and nothing but punctuation may follow it, so a
/// sentence (`# Node 3 becomes the leader`) stays a comment.
static ROLE_MARKER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)^\s*#+\s*(?:in\s+|on\s+)?(client|node|server)\s*#?\s*(\d+)\s*(?:$|[-=]>|→|[:(\[,—–-])",
    )
    .expect("static regex")
});

/// `# Terminal 2` -> `Terminal 2`; `# Client 1 -> Node 1` -> `Client 1`.
pub fn terminal_marker(line: &str) -> Option<String> {
    if !line.trim_start().starts_with('#') || line.trim_start().starts_with("#|") {
        return None;
    }
    let caps = TERMINAL_MARKER
        .captures(line)
        .or_else(|| ROLE_MARKER.captures(line))?;
    let kind = &caps[1];
    let mut kind_title = kind[..1].to_ascii_uppercase();
    kind_title.push_str(&kind[1..].to_ascii_lowercase());
    Some(format!("{kind_title} {}", &caps[2]))
}

/// `#| cmd` (or `#|cmd`, indented or not): a hidden setup line, and its command.
pub fn hidden_line(line: &str) -> Option<&str> {
    let rest = line.trim_start().strip_prefix("#|")?;
    Some(rest.strip_prefix(' ').unwrap_or(rest))
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

/// For each line of `text`, whether it continues a command opened above it (a
/// heredoc's body, a quote, a `\` continuation, an `if`/`do` body): part of that
/// command, never a command of its own nor pasted output.
pub fn continuation_lines(text: &str) -> Vec<bool> {
    let mut scanner = Scanner::default();
    text.lines()
        .map(|line| {
            let continues = scanner.incomplete();
            let _ = scanner.feed(line);
            continues
        })
        .collect()
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

/// The command's text as the shell reads its words: continuation lines joined,
/// heredoc bodies left out (they are data).
fn command_words_text(command: &str) -> String {
    let joined = command.replace("\\\n", " ");
    let mut scanner = Scanner::default();
    let mut out = String::new();
    for line in joined.lines() {
        if scanner.feed(line).is_some() {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// Words of `text` split on whitespace, with surrounding quotes removed.
fn words_of(text: &str) -> Vec<&str> {
    text.split_whitespace()
        .map(|w| w.trim_matches(|c| c == '"' || c == '\''))
        .filter(|w| !w.is_empty())
        .collect()
}

/// Words that run the next word: `sudo`, `exec`, `nohup`, `time`, `env`, `command`.
const PREFIXES: &[&str] = &["sudo", "exec", "nohup", "time", "env", "command", "stdbuf"];

/// The program a command runs, its arguments, and the name a person would call it
/// by: the script (`python3 chat_client.py` -> `chat_client.py`), the module
/// (`python3 -m src.client_tui` -> `src.client_tui`) or the program itself.
struct Invocation<'a> {
    program: &'a str,
    args: Vec<&'a str>,
    name: &'a str,
}

fn invocation<'a>(words: &[&'a str]) -> Option<Invocation<'a>> {
    let start = words
        .iter()
        .position(|w| !(is_assignment(w) || PREFIXES.contains(w)))?;
    let path = words[start];
    let program = path.rsplit('/').next().unwrap_or(path);
    let args: Vec<&str> = words[start + 1..].to_vec();
    let name = if is_interpreter(program) {
        match args.iter().position(|a| *a == "-m") {
            Some(i) => args.get(i + 1).copied().unwrap_or(program),
            None => args
                .iter()
                .find(|a| !a.starts_with('-'))
                .map_or(program, |a| a.rsplit('/').next().unwrap_or(a)),
        }
    } else {
        program
    };
    Some(Invocation {
        program,
        args,
        name,
    })
}

fn is_assignment(word: &str) -> bool {
    word.split_once('=').is_some_and(|(k, _)| {
        !k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    })
}

fn is_interpreter(program: &str) -> bool {
    is_python(program)
        || matches!(
            program,
            "node" | "deno" | "bun" | "ruby" | "bash" | "sh" | "zsh" | "perl"
        )
}

fn is_python(program: &str) -> bool {
    program == "python"
        || program
            .strip_prefix("python")
            .is_some_and(|v| v.chars().all(|c| c.is_ascii_digit() || c == '.'))
}

/// A name that says "client", "tui" or "repl": `client_tui`, `chat-client`, `repl.js`
/// (but not `replace.py` or `replica`).
fn client_like(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.contains("client")
        || lower
            .split(|c: char| !c.is_ascii_alphanumeric())
            .any(|part| matches!(part, "tui" | "repl"))
}

/// Programs that connect to a port rather than listen on one.
const CONNECTING: &[&str] = &[
    "ssh",
    "scp",
    "sftp",
    "mosh",
    "telnet",
    "psql",
    "mysql",
    "redis-cli",
    "mongosh",
    "mongo",
    "wscat",
    "curl",
    "wget",
    "http",
    "https",
    "grpcurl",
    "websocat",
];

fn port_number(text: &str) -> Option<u16> {
    let digits = text.trim_end_matches("/tcp").trim_end_matches(',');
    if digits.is_empty() || digits.len() > 5 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse::<u16>().ok().filter(|p| *p != 0)
}

/// `:8080`, `0.0.0.0:8080`, `localhost:8080`, `[::]:8080`: the port; a bare number too.
fn address_port(text: &str) -> Option<u16> {
    match text.rsplit_once(':') {
        Some((_, port)) => port_number(port),
        None => port_number(text),
    }
}

/// Docker's `-p 8080`, `-p 8080:80`, `-p 127.0.0.1:8080:80`: the host port.
fn published_port(text: &str) -> Option<u16> {
    let parts: Vec<&str> = text.split(':').collect();
    match parts.as_slice() {
        [port] | [port, _] | [_, port, _] => port_number(port),
        _ => None,
    }
}

static LOCAL_ADDRESS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(://)?\b(?:localhost|127\.0\.0\.1|0\.0\.0\.0):(\d{1,5})\b").expect("static regex")
});

/// Local TCP ports `command` listens on, as its arguments say: `--port N`,
/// `--port=N`, `-p N` / `-p N:M` / `-p IP:N:M` (the host side), `--listen :N`,
/// `--bind HOST:N`, `--addr :N`, `nc -l N` / `nc -lp N`, `http.server N`, `PORT=N cmd`,
/// and a `localhost:N` / `127.0.0.1:N` / `0.0.0.0:N` address in it. URLs
/// (`http://localhost:N/...`) and addresses given to other long options
/// (`--bootstrap-server localhost:9092`) are places the command goes to, not where it
/// listens, and a client (`ssh`, `curl`, `psql`, a program named like a client)
/// listens on none.
pub fn listen_ports(command: &str) -> Vec<u16> {
    let text = command_words_text(command);
    let words = words_of(&text);
    let Some(inv) = invocation(&words) else {
        return Vec::new();
    };
    let netcat = matches!(inv.program, "nc" | "ncat" | "netcat");
    if CONNECTING.contains(&inv.program) || (!netcat && client_like(inv.name)) {
        return Vec::new();
    }
    let mut ports: Vec<u16> = Vec::new();
    for (i, word) in words.iter().enumerate() {
        let next = words.get(i + 1).copied().unwrap_or("");
        let (flag, value) = match word.split_once('=') {
            Some((f, v)) if f.starts_with('-') => (f, Some(v)),
            _ => (*word, None),
        };
        let value_or_next = value.unwrap_or(next);
        let port = match flag {
            "--port" | "--http-port" | "--listen-port" => port_number(value_or_next),
            "-p" | "--publish" if netcat => port_number(value_or_next),
            "-p" | "--publish" => published_port(value_or_next),
            "--listen" | "--bind" | "--addr" | "--address" | "--http-addr" | "--listen-addr" => {
                address_port(value_or_next)
            }
            "-b" => value_or_next
                .contains(':')
                .then(|| address_port(value_or_next))
                .flatten(),
            _ if netcat && flag.starts_with('-') && !flag.starts_with("--") => {
                // `-l 8080`, `-lp 8080`, `-lvnp 8080`.
                (flag.contains('l') && (flag.ends_with('l') || flag.ends_with('p')))
                    .then(|| port_number(next))
                    .flatten()
            }
            "http.server" => words[i + 1..]
                .iter()
                .scan(false, |skip, w| {
                    let this_skipped = *skip;
                    *skip = matches!(*w, "-b" | "--bind" | "-d" | "--directory" | "--protocol");
                    Some((this_skipped, *w))
                })
                .filter(|(skipped, w)| !skipped && !w.starts_with('-'))
                .find_map(|(_, w)| port_number(w)),
            _ => word
                .strip_prefix("PORT=")
                .and_then(port_number)
                .filter(|_| value.is_none()),
        };
        ports.extend(port);
    }
    if netcat
        && ports.is_empty()
        && inv
            .args
            .iter()
            .any(|a| a.starts_with('-') && !a.starts_with("--") && a.contains('l'))
    {
        ports.extend(inv.args.iter().rev().find_map(|a| port_number(a)));
    }
    // A local address as an argument of its own (`php -S localhost:8000`,
    // `runserver 0.0.0.0:8000`); as the value of another long option it is where the
    // command connects (`--bootstrap-server localhost:9092`).
    for (i, word) in words.iter().enumerate() {
        let after_long_option = i > 0 && words[i - 1].starts_with("--");
        if word.starts_with("--") || after_long_option {
            continue;
        }
        for caps in LOCAL_ADDRESS.captures_iter(word) {
            if caps.get(1).is_none() {
                ports.extend(port_number(&caps[2]));
            }
        }
    }
    let mut seen = Vec::new();
    ports.retain(|p| {
        let new = !seen.contains(p);
        seen.push(*p);
        new
    });
    ports
}

/// The last top-level command of a `&&` / `||` / `;` chain, or `None` when it is
/// piped into, fed from a file or heredoc (`<`), or sent to the background (`&`):
/// then its input is not the terminal.
fn last_in_chain(text: &str) -> Option<String> {
    let joined = text.replace("\\\n", " ");
    let first_line = joined.lines().next().unwrap_or("");
    let mut scanner = Scanner::default();
    let code = scanner.feed(first_line).unwrap_or_default();
    if joined.lines().count() > 1 && !code.contains("<<") {
        // A multi-line command (a loop, a quoted block): not a program waiting for input.
        return None;
    }
    let bytes = code.as_bytes();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        let two = code.get(i..i + 2);
        if matches!(two, Some("&&") | Some("||")) {
            start = i + 2;
            i += 2;
            continue;
        }
        if bytes[i] == b';' {
            start = i + 1;
        }
        i += 1;
    }
    let last_code = &code[start..];
    if last_code.contains('|') || last_code.contains('<') || last_code.trim_end().ends_with('&') {
        return None;
    }
    Some(first_line[start..].to_string())
}

/// Flags of `ssh` that take a value.
const SSH_VALUED: &[&str] = &[
    "-b", "-c", "-D", "-E", "-e", "-F", "-I", "-i", "-J", "-L", "-l", "-m", "-O", "-o", "-p", "-Q",
    "-R", "-S", "-W", "-w", "-B",
];

/// Positional arguments of `args`, skipping the values of `valued` flags.
fn positionals<'a>(args: &[&'a str], valued: &[&str]) -> Vec<&'a str> {
    let mut out = Vec::new();
    let mut skip = false;
    for a in args {
        if skip {
            skip = false;
        } else if a.starts_with('-') && a.len() > 1 {
            skip = valued.contains(a);
        } else {
            out.push(*a);
        }
    }
    out
}

/// Why `command` starts a program that waits for the presenter's input (a REPL, a
/// database shell, a chat client), if it does: the block is then ready once the
/// program waits for input, and the program keeps its terminal.
pub fn interactive_program(command: &str) -> Option<&'static str> {
    let last = last_in_chain(command)?;
    let words = words_of(&last);
    let inv = invocation(&words)?;
    let args = &inv.args;
    let has = |flags: &[&str]| args.iter().any(|a| flags.contains(a));
    let program = inv.program;
    if is_python(program) {
        if has(&["-c"]) || args.first() == Some(&"-") {
            return None;
        }
        if has(&["-i"]) {
            return Some("`python -i` stays in the Python REPL");
        }
        if args.is_empty() {
            return Some("`python` alone starts the Python REPL");
        }
    } else if program == "node" {
        if has(&["-e", "--eval", "-p", "--print"]) {
            return None;
        }
        if args.is_empty() || has(&["-i", "--interactive"]) {
            return Some("`node` alone starts the Node REPL");
        }
    }
    let why = match program {
        "irb" | "ipython" | "bpython" => Some("a REPL waits for input"),
        "psql" if !has(&["-c", "--command", "-f", "--file", "-l", "--list"]) => {
            Some("`psql` waits for SQL")
        }
        "mysql" if !has(&["-e", "--execute"]) => Some("`mysql` waits for SQL"),
        "mongosh" | "mongo" if !has(&["--eval", "-f", "--file"]) => {
            Some("the Mongo shell waits for input")
        }
        "redis-cli" => {
            let valued = [
                "-h",
                "-p",
                "-a",
                "-n",
                "-u",
                "-s",
                "--user",
                "--pass",
                "--askpass",
            ];
            positionals(args, &valued)
                .is_empty()
                .then_some("`redis-cli` without a command waits for input")
        }
        "sqlite3" => {
            let valued = ["-cmd", "-init", "-separator", "-newline", "-nullvalue"];
            (positionals(args, &valued).len() <= 1)
                .then_some("`sqlite3` without SQL waits for input")
        }
        "wscat" if !has(&["-x", "--execute"]) => Some("`wscat` waits for messages to send"),
        "nc" | "ncat" | "netcat" => {
            let flags: Vec<&&str> = args.iter().filter(|a| a.starts_with('-')).collect();
            let listens = flags
                .iter()
                .any(|f| *f == &"--listen" || (!f.starts_with("--") && f.contains('l')));
            let scans = flags
                .iter()
                .any(|f| !f.starts_with("--") && f.contains('z'));
            let valued = ["-p", "-w", "-q", "-i", "-s", "-e", "-c"];
            (!listens && !scans && positionals(args, &valued).len() >= 2)
                .then_some("`nc HOST PORT` sends what is typed")
        }
        "telnet" => Some("`telnet` sends what is typed"),
        "ssh" if !has(&["-N", "-f"]) => (positionals(args, SSH_VALUED).len() == 1)
            .then_some("`ssh` without a remote command opens a remote shell"),
        _ => None,
    };
    if why.is_some() {
        return why;
    }
    client_like(inv.name).then_some("a client program waits for input")
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
    }

    #[test]
    fn numbered_roles_name_terminals() {
        for (line, name) in [
            ("# Client 1 -> Node 1", Some("Client 1")),
            ("# client 2 → node 2", Some("Client 2")),
            ("# Node 3", Some("Node 3")),
            ("## Server 2:", Some("Server 2")),
            ("# On node 1 (leader)", Some("Node 1")),
            ("# Tab 2", Some("Tab 2")),
            // A number is required, and a sentence after it is a comment.
            ("# Client", None),
            ("# Server logs", None),
            ("# Node 3 becomes the leader", None),
            ("#| echo hidden", None),
        ] {
            assert_eq!(terminal_marker(line).as_deref(), name, "{line}");
        }
        let s = split_commands("# Client 1 -> Node 1\na\n\n# Client 2 -> Node 2\nb\n");
        let terminals: Vec<_> = s.iter().map(|s| s.terminal.as_deref()).collect();
        assert_eq!(terminals, vec![Some("Client 1"), Some("Client 2")]);
    }

    #[test]
    fn hidden_lines() {
        assert_eq!(hidden_line("#| export A=1"), Some("export A=1"));
        assert_eq!(hidden_line("  #|cd demo"), Some("cd demo"));
        assert_eq!(hidden_line("#|  two spaces"), Some(" two spaces"));
        assert_eq!(hidden_line("# | not hidden"), None);
        assert_eq!(hidden_line("echo '#| no'"), None);
    }

    #[test]
    fn listen_ports_from_arguments() {
        let none: &[u16] = &[];
        for (command, ports) in [
            ("uvicorn app:app --port 8000", &[8000][..]),
            ("uvicorn app:app --port=8001 --reload", &[8001]),
            ("flask run -p 5000", &[5000]),
            ("docker run -d -p 8080:80 nginx", &[8080]),
            (
                "docker run -p 127.0.0.1:8081:80 -p 9000 nginx",
                &[8081, 9000],
            ),
            ("docker run --publish=8082:80 nginx", &[8082]),
            ("caddy file-server --listen :2015", &[2015]),
            ("gunicorn app:app --bind 0.0.0.0:8003", &[8003]),
            ("gunicorn app:app --bind=127.0.0.1:8004", &[8004]),
            ("gunicorn app:app -b 0.0.0.0:8005", &[8005]),
            ("./server --addr :8006", &[8006]),
            ("nc -l 9001", &[9001]),
            ("nc -lp 9002", &[9002]),
            ("nc -lvnp 9003", &[9003]),
            ("nc -l -p 9004", &[9004]),
            ("python3 -m http.server 8007", &[8007]),
            ("python3 -m http.server --bind 127.0.0.1 8008", &[8008]),
            ("python -m http.server", none),
            ("php -S localhost:8009", &[8009]),
            ("python3 manage.py runserver 0.0.0.0:8010", &[8010]),
            ("hugo server --bind 127.0.0.1:1313", &[1313]),
            (
                "kafka-topics --bootstrap-server localhost:9092 --list",
                none,
            ),
            ("./relay --upstream=127.0.0.1:9000 -l 0.0.0.0:9001", &[9001]),
            ("PORT=3000 npm start", &[3000]),
            ("cd web && PORT=3001 npm run dev", &[3001]),
            (
                "python3 server.py --port 7001 \\\n  --host 127.0.0.1",
                &[7001],
            ),
            // A heredoc body is data.
            ("python3 - <<'PY'\nprint('--port 1234')\nPY", none),
            // Places a command goes to are not where it listens.
            ("curl -s http://localhost:8080/health", none),
            ("watch -n 1 curl -s http://127.0.0.1:8080/metrics", none),
            ("ssh -p 2222 demo@localhost", none),
            ("psql --port 5432 -h localhost", none),
            ("redis-cli -p 6379", none),
            (
                "python3 -m src.client_tui --host 127.0.0.1 --port 5001",
                none,
            ),
            ("nc localhost 8080", none),
            ("mkdir -p build", none),
            ("ls -la", none),
            ("echo --port", none),
            ("./serve --port 99999", none),
        ] {
            assert_eq!(listen_ports(command), ports, "{command}");
        }
    }

    #[test]
    fn interactive_programs() {
        for (command, interactive) in [
            ("python3 -i demo.py", true),
            ("python -i", true),
            ("python3", true),
            ("python", true),
            ("node", true),
            ("irb", true),
            ("psql -h localhost -U demo", true),
            ("psql -c 'select 1'", false),
            ("mysql -u root", true),
            ("mysql -u root -e 'show tables'", false),
            ("mysql -u root < schema.sql", false),
            ("mongosh mongodb://localhost:27017", true),
            ("mongosh --eval 'db.stats()'", false),
            ("redis-cli", true),
            ("redis-cli -h localhost -p 6379", true),
            ("redis-cli GET key", false),
            ("redis-cli -p 6379 PING", false),
            ("sqlite3 demo.db", true),
            ("sqlite3 demo.db 'select * from t'", false),
            ("wscat -c ws://localhost:8080", true),
            ("nc localhost 9000", true),
            ("ncat 127.0.0.1 9000", true),
            ("nc -l 9000", false),
            ("nc -zv localhost 9000", false),
            ("echo hi | nc localhost 9000", false),
            ("nc localhost 9000 < request.txt", false),
            ("telnet localhost 25", true),
            ("ssh demo@host", true),
            ("ssh -p 2222 -i key demo@host", true),
            ("ssh demo@host uptime", false),
            ("ssh -N -L 8080:localhost:80 demo@host", false),
            (
                "python3 -m src.client_tui --host 127.0.0.1 --port 5001",
                true,
            ),
            ("./chat-client", true),
            ("python3 chat_client.py --port 7001", true),
            ("node repl.js", true),
            ("cargo run --release --bin tui", false),
            ("cd app && python3 -m chat.client", true),
            ("sudo -E python3", false),
            // Not interactive.
            ("python3 server.py", false),
            ("python3 replace.py", false),
            ("python3 -c 'print(1)'", false),
            ("python3 - <<'PY'\nprint(1)\nPY", false),
            ("node server.js", false),
            ("curl -s http://localhost:8080", false),
            ("python3 -m src.client_tui &", false),
            ("ls", false),
        ] {
            assert_eq!(
                interactive_program(command).is_some(),
                interactive,
                "{command}: {:?}",
                interactive_program(command)
            );
        }
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
