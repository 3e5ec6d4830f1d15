//! `cuedeck check --preflight RUNBOOK [--json]`: what the runbook needs from this
//! machine, checked now, one line per item with why it is red. Exit 1 when
//! something is missing.

use std::fmt::Write as _;
use std::path::Path;
use std::process::ExitCode;

use crate::probe::preflight::{self, CheckKind, CheckStatus, PreflightReport};
use crate::runbook::Runbook;

use super::check::{EXIT_CLEAN, EXIT_LINT_ERRORS, EXIT_UNREADABLE};

pub fn run(runbook: &Runbook, path: &Path, json: bool) -> ExitCode {
    let report = match preflight::check_now(runbook, &runbook.services) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot run the pre-flight checks: {e}");
            return ExitCode::from(EXIT_UNREADABLE);
        }
    };
    if json {
        match serde_json::to_string_pretty(&report) {
            Ok(text) => println!("{text}"),
            Err(e) => {
                eprintln!("error: cannot encode the report as JSON: {e}");
                return ExitCode::from(EXIT_UNREADABLE);
            }
        }
    } else {
        print!("{}", table(&report, &path.display().to_string()));
    }
    if report.has_missing() {
        ExitCode::from(EXIT_LINT_ERRORS)
    } else {
        ExitCode::from(EXIT_CLEAN)
    }
}

fn status_word(status: CheckStatus) -> &'static str {
    match status {
        CheckStatus::Ok => "ok",
        CheckStatus::Later => "later",
        CheckStatus::Manual => "tick",
        CheckStatus::Missing => "MISSING",
    }
}

fn kind_word(kind: CheckKind) -> &'static str {
    match kind {
        CheckKind::Tool => "tool",
        CheckKind::Port => "port",
        CheckKind::Service => "service",
        CheckKind::Checklist => "checklist",
    }
}

/// The human report: one row per item, then a count.
pub fn table(report: &PreflightReport, file: &str) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "{file}: pre-flight\n");
    for item in &report.items {
        let subject: String = item.subject.chars().take(44).collect();
        let _ = writeln!(
            o,
            "  {:<8} {:<10} {:<44} {}  (line {})",
            status_word(item.status),
            kind_word(item.kind),
            subject,
            item.detail,
            item.line
        );
    }
    let count = |s: CheckStatus| report.items.iter().filter(|i| i.status == s).count();
    let _ = writeln!(
        o,
        "\n{} ok, {} missing, {} later (started by the runbook), {} to tick by hand",
        count(CheckStatus::Ok),
        count(CheckStatus::Missing),
        count(CheckStatus::Later),
        count(CheckStatus::Manual)
    );
    o
}
