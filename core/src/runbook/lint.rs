//! Checks of a runbook against this machine: tools its steps call that are not on
//! PATH, and local ports its URLs name that something already listens on. These are
//! warnings (the demo may install the tool, or the service may be meant to run);
//! problems in the runbook itself are already in `Runbook::diagnostics`.

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, TcpListener};

use super::infer;
use super::model::{BlockKind, Diagnostic, Runbook, Severity};
use super::shell;
use crate::terminal::shell_integration::tool_path;

/// Parse diagnostics plus machine checks, sorted by line.
pub fn lint(runbook: &Runbook) -> Vec<Diagnostic> {
    let mut out = runbook.diagnostics.clone();
    out.extend(missing_tools(runbook));
    out.extend(bound_ports(runbook));
    out.sort_by_key(|d| (d.line, d.severity));
    out
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

/// Whether binding 127.0.0.1:port fails because something holds it.
pub fn port_in_use(port: u16) -> bool {
    match TcpListener::bind((Ipv4Addr::LOCALHOST, port)) {
        Ok(_) => false,
        Err(e) => e.kind() == std::io::ErrorKind::AddrInUse,
    }
}
