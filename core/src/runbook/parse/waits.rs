//! Readiness gates: which services a block waits for before it runs.
//!
//! Explicit: a `waitFor` attribute names services (comma-separated), each of which
//! must be one of the runbook's services. Inferred: a step titled like "Wait for
//! services to be healthy" whose block sleeps a fixed time (`sleep 15`) waits for
//! every service instead, and runs as soon as they are up.

use std::sync::LazyLock;

use regex::Regex;

use crate::runbook::model::{CodeBlock, Diagnostic, Runbook, Severity, WaitFor};

/// How long a gate waits when the block gives no `timeout`.
pub const DEFAULT_WAIT_MS: u64 = 60_000;

static WAIT_TITLE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\bwait(ing)?\b.*\b(healthy|health|ready|up|start(ed|ing)?|available|online)\b")
        .expect("static regex")
});

static SLEEP: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\s*sleep\s+\d+(\.\d+)?[smh]?\s*$").expect("static regex"));

/// Sets `wait_for` on every block that has a gate, and reports unknown service names.
pub(super) fn resolve_waits(runbook: &mut Runbook) {
    let names: Vec<String> = runbook.services.iter().map(|s| s.name.clone()).collect();
    let mut diagnostics = Vec::new();
    for step in &mut runbook.steps {
        let waiting_title = WAIT_TITLE.is_match(&step.title);
        for block in &mut step.blocks {
            block.wait_for = match &block.attributes.wait_for {
                Some(wanted) => explicit(block, wanted, &names, &mut diagnostics),
                None if waiting_title && !names.is_empty() => inferred(block),
                None => None,
            };
        }
    }
    runbook.diagnostics.extend(diagnostics);
}

fn timeout_ms(block: &CodeBlock) -> u64 {
    block.attributes.timeout_ms.unwrap_or(DEFAULT_WAIT_MS)
}

fn explicit(
    block: &CodeBlock,
    wanted: &str,
    names: &[String],
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<WaitFor> {
    let services: Vec<String> = wanted
        .split(',')
        .map(str::trim)
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect();
    let unknown: Vec<&String> = services.iter().filter(|s| !names.contains(s)).collect();
    if !unknown.is_empty() {
        let known = if names.is_empty() {
            "the runbook declares none".to_string()
        } else {
            format!("services: {}", names.join(", "))
        };
        diagnostics.push(Diagnostic {
            severity: Severity::Error,
            line: block.line,
            message: format!(
                "`waitFor` names {}, which is not a service ({known})",
                unknown
                    .iter()
                    .map(|s| format!("`{s}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        });
        return None;
    }
    Some(WaitFor {
        services,
        timeout_ms: timeout_ms(block),
        replaces: None,
    })
}

fn inferred(block: &mut CodeBlock) -> Option<WaitFor> {
    let sleep = block.commands.iter().find(|c| SLEEP.is_match(&c.text))?;
    let replaces = sleep.text.trim().to_string();
    block.inferred.push(format!(
        "waits for every service to be up instead of `{replaces}`"
    ));
    Some(WaitFor {
        services: Vec::new(),
        timeout_ms: timeout_ms(block),
        replaces: Some(replaces),
    })
}
