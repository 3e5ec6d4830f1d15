//! Checks of a runbook against this machine: tools its steps call that are not on
//! PATH, and local ports its URLs name that something already listens on. These are
//! warnings (the demo may install the tool, or the service may be meant to run);
//! problems in the runbook itself are already in `Runbook::diagnostics`. Plus the
//! runbook's likely slips that are not errors: input typed into a terminal where no
//! program was started, and `#|` hidden lines where they do not run.

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, TcpListener};

use super::infer;
use super::model::{BlockKind, CodeBlock, Diagnostic, Runbook, Severity};
use super::shell;
use crate::terminal::shell_integration::tool_path;

/// Parse diagnostics plus machine checks, sorted by line.
pub fn lint(runbook: &Runbook) -> Vec<Diagnostic> {
    let mut out = runbook.diagnostics.clone();
    out.extend(missing_tools(runbook));
    out.extend(bound_ports(runbook));
    out.extend(input_without_program(runbook));
    out.extend(hidden_lines_not_run(runbook));
    out.extend(interpreter_command_lines(runbook));
    out.extend(probe_intervals_below_the_floor(runbook));
    out.extend(blocks_not_in_the_model(runbook));
    out.extend(inferred_blocks(runbook));
    out.sort_by_key(|d| (d.line, d.severity));
    out
}

/// An `interpreter` that is a shell command line (`touch /tmp/y; python3`) runs
/// more than the block the presenter sees: a warning, and the trust sheet shows it.
pub fn interpreter_command_lines(runbook: &Runbook) -> Vec<Diagnostic> {
    runbook
        .steps
        .iter()
        .flat_map(|s| &s.blocks)
        .filter(|b| b.kind != BlockKind::Shown)
        .filter_map(|b| {
            let interpreter = b.attributes.interpreter.as_deref()?;
            let special = interpreter.chars().find(|c| {
                matches!(
                    c,
                    ';' | '|' | '&' | '$' | '`' | '<' | '>' | '(' | ')' | '\n'
                )
            })?;
            Some(Diagnostic {
                severity: Severity::Warning,
                line: b.line,
                message: format!(
                    "interpreter `{interpreter}` is a shell command line (it has `{}`), not a \
                     program: it runs more than the block shows",
                    special.escape_default()
                ),
            })
        })
        .collect()
}

/// Where a runbook first needs something: the line and the step's title.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FirstUse {
    pub line: usize,
    pub step: String,
}

/// Every external tool the runbook's shell steps call, with its first use (each tool
/// once, in name order).
pub fn tools_used(runbook: &Runbook) -> BTreeMap<String, FirstUse> {
    let mut first_use: BTreeMap<String, FirstUse> = BTreeMap::new();
    for (step, block) in runbook.runnable_blocks() {
        if block.kind != BlockKind::Run {
            continue;
        }
        for command in &block.commands {
            for tool in shell::tools(&command.text) {
                first_use.entry(tool).or_insert_with(|| FirstUse {
                    line: command.line,
                    step: step.title.clone(),
                });
            }
        }
    }
    first_use
}

fn missing_tools(runbook: &Runbook) -> Vec<Diagnostic> {
    tools_used(runbook)
        .into_iter()
        .filter(|(tool, _)| tool_path(tool).is_none())
        .map(|(tool, used)| Diagnostic {
            severity: Severity::Warning,
            line: used.line,
            message: format!("`{tool}` is not on PATH (used by step \"{}\")", used.step),
        })
        .collect()
}

fn bound_ports(runbook: &Runbook) -> Vec<Diagnostic> {
    let mut first_use: BTreeMap<u16, usize> = BTreeMap::new();
    let texts = runbook.steps.iter().flat_map(|s| {
        std::iter::once((s.line, s.markdown.as_str()))
            .chain(s.blocks.iter().map(|b| (b.line, b.source.as_str())))
    });
    for (line, text) in texts {
        for url in infer::local_urls(text) {
            first_use.entry(url.port).or_insert(line);
        }
    }
    first_use
        .into_iter()
        .filter(|(port, _)| *port != 0 && port_in_use(*port))
        .map(|(port, line)| Diagnostic {
            severity: Severity::Warning,
            line,
            message: format!(
                "port {port} is already in use on this machine: a server the demo starts there will fail (fine if the service is meant to be up)"
            ),
        })
        .collect()
}

/// An input block whose terminal no earlier block starts a program in: its lines
/// would be typed at a bare shell prompt.
pub fn input_without_program(runbook: &Runbook) -> Vec<Diagnostic> {
    let mut started: Vec<&str> = Vec::new();
    let mut out = Vec::new();
    for (_, block) in runbook.runnable_blocks() {
        match block.kind {
            BlockKind::Run => started.extend(
                block
                    .commands
                    .iter()
                    .chain(&block.hidden)
                    .map(|c| c.terminal.as_str())
                    .chain([block.terminal.as_str()]),
            ),
            BlockKind::Input => {
                let mut wanted: Vec<&str> = block
                    .input
                    .iter()
                    .filter_map(|l| l.target.as_deref())
                    .collect();
                if wanted.is_empty() {
                    wanted.push(&block.terminal);
                }
                wanted.dedup();
                for terminal in wanted {
                    if !started.contains(&terminal) {
                        out.push(Diagnostic {
                            severity: Severity::Warning,
                            line: block.line,
                            message: format!(
                                "input for terminal `{terminal}`, but no block before it starts a program there: the lines would be typed at a shell prompt"
                            ),
                        });
                    }
                }
            }
            BlockKind::Shown => {}
        }
    }
    out
}

/// `#|` lines in a block that does not run in the shell: shown as written, never run.
/// (`#| key: value`, Quarto's cell options, is left alone.)
pub fn hidden_lines_not_run(runbook: &Runbook) -> Vec<Diagnostic> {
    let quarto_option = |text: &str| {
        text.split_once(':').is_some_and(|(key, rest)| {
            !key.is_empty()
                && key
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
                && (rest.is_empty() || rest.starts_with(' '))
        })
    };
    let runs_hidden = |b: &CodeBlock| b.kind == BlockKind::Run && b.display != b.source;
    runbook
        .steps
        .iter()
        .flat_map(|s| &s.blocks)
        .filter(|b| !runs_hidden(b))
        .filter_map(|b| {
            let first = b
                .source
                .lines()
                .position(|l| shell::hidden_line(l).is_some_and(|t| !quarto_option(t)))?;
            Some(Diagnostic {
                severity: Severity::Warning,
                line: b.line + 1 + first,
                message: format!(
                    "`#|` hidden setup lines run only in shell blocks: in this {} block they are shown as written, and not run",
                    b.lang.as_deref().map_or("unlabelled".to_string(), |l| format!("`{l}`"))
                ),
            })
        })
        .collect()
}

/// A service or metrics `interval:` shorter than probing ever runs at: it gets the
/// floor ([`crate::probe::health::MIN_PROBE_PERIOD`]), and the presenter should know.
pub fn probe_intervals_below_the_floor(runbook: &Runbook) -> Vec<Diagnostic> {
    let floor = crate::probe::health::MIN_PROBE_PERIOD.as_millis();
    let services = runbook
        .services
        .iter()
        .map(|s| ("service", &s.name, s.interval_ms, s.line));
    let metrics = runbook
        .metrics
        .iter()
        .map(|m| ("metrics", &m.name, m.interval_ms, m.line));
    services
        .chain(metrics)
        .filter(|(_, _, interval, _)| u128::from(*interval) < floor)
        .map(|(what, name, interval, line)| Diagnostic {
            severity: Severity::Warning,
            line,
            message: format!(
                "{what} `{name}`: interval {interval} ms is below the {floor} ms floor: it is probed every {floor} ms"
            ),
        })
        .collect()
}

/// Whether binding 127.0.0.1:port fails because something holds it.
pub fn port_in_use(port: u16) -> bool {
    match TcpListener::bind((Ipv4Addr::LOCALHOST, port)) {
        Ok(_) => false,
        Err(e) => e.kind() == std::io::ErrorKind::AddrInUse,
    }
}

/// The count of code blocks in the model, against the Markdown's: a block left out
/// would be a part of the demo the presenter never sees. Only a bug can cause it.
pub fn blocks_not_in_the_model(runbook: &Runbook) -> Vec<Diagnostic> {
    let in_model = runbook.steps.iter().map(|s| s.blocks.len()).sum::<usize>();
    if in_model == runbook.code_blocks_in_source {
        return Vec::new();
    }
    vec![Diagnostic {
        severity: Severity::Error,
        line: 1,
        message: format!(
            "code blocks: {} in the file, {in_model} in the model: some are not shown (a Cuedeck bug; please report it)",
            runbook.code_blocks_in_source
        ),
    }]
}

/// What the parser decided on its own about a block that the author may want to
/// know: an untagged block run as shell, output pasted into a shell block.
pub fn inferred_blocks(runbook: &Runbook) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for block in runbook.steps.iter().flat_map(|s| &s.blocks) {
        if block.inferred_shell {
            out.push(Diagnostic {
                severity: Severity::Info,
                line: block.line,
                message: "untagged block runs as shell (inferred: every command starts with a program); tag it `bash` or `text` to say so".into(),
            });
        }
        if let (Some(&first), false) = (block.not_sent.first(), block.inferred_shell) {
            out.push(Diagnostic {
                severity: Severity::Info,
                line: first,
                message: format!(
                    "{} line{} of this block look like pasted output: shown, not run",
                    block.not_sent.len(),
                    if block.not_sent.len() == 1 { "" } else { "s" }
                ),
            });
        }
    }
    out
}
