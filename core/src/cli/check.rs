//! `cuedeck check RUNBOOK [--json]`: the outline a presenter will walk, and lint findings
//! as `file:line: severity: message`.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use crate::runbook::{self, lint, BlockKind, Diagnostic, Origin, Runbook, Severity};

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// The Markdown runbook to check.
    pub runbook: PathBuf,
    /// Print the whole model as JSON (what the app receives) instead of the outline.
    #[arg(long)]
    pub json: bool,
    /// Check what the runbook needs from this machine (tools on PATH, ports it binds
    /// free, services reachable, checklist items); exit 1 when something is missing.
    #[arg(long)]
    pub preflight: bool,
}

pub const EXIT_CLEAN: u8 = 0;
pub const EXIT_LINT_ERRORS: u8 = 1;
pub const EXIT_UNREADABLE: u8 = 2;

pub fn run(args: &CheckArgs) -> ExitCode {
    let runbook = match runbook::load(&args.runbook) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(EXIT_UNREADABLE);
        }
    };
    if args.preflight {
        return super::preflight::run(&runbook, &args.runbook, args.json);
    }
    let findings = lint::lint(&runbook);
    if args.json {
        let report = serde_json::json!({ "runbook": runbook, "findings": findings });
        match serde_json::to_string_pretty(&report) {
            Ok(text) => println!("{text}"),
            Err(e) => {
                eprintln!("error: cannot encode the model as JSON: {e}");
                return ExitCode::from(EXIT_UNREADABLE);
            }
        }
    } else {
        print!(
            "{}",
            outline(&runbook, &findings, &args.runbook.display().to_string())
        );
    }
    if findings.iter().any(|d| d.severity == Severity::Error) {
        ExitCode::from(EXIT_LINT_ERRORS)
    } else {
        ExitCode::from(EXIT_CLEAN)
    }
}

/// "5:00" for 300 seconds.
pub fn clock(seconds: u32) -> String {
    format!("{}:{:02}", seconds / 60, seconds % 60)
}

/// The human report: outline table, timeline, checklist, probes, findings.
pub fn outline(r: &Runbook, findings: &[Diagnostic], file: &str) -> String {
    let mut o = String::new();
    let runnable = r.runnable_blocks().count();
    let total: u32 = r
        .steps
        .iter()
        .filter_map(|s| s.budget)
        .map(|b| b.seconds)
        .sum();
    let _ = writeln!(
        o,
        "{file}: \"{}\" — {} steps, {runnable} runnable blocks{}",
        r.title,
        r.steps.len(),
        if total > 0 {
            format!(", budget {}", clock(total))
        } else {
            String::new()
        }
    );
    let _ = writeln!(
        o,
        "\n{:>3}  {:<44} {:>6} {:>4} {:>5} {:>4} {:>6} {:>5}",
        "#", "step", "budget", "run", "notes", "q&a", "expect", "line"
    );
    for (i, s) in r.steps.iter().enumerate() {
        let run = s
            .blocks
            .iter()
            .filter(|b| b.kind != BlockKind::Shown)
            .count();
        let mut title: String = s.title.chars().take(42).collect();
        if s.optional {
            title = format!("{} (opt)", title.chars().take(36).collect::<String>());
        }
        let budget = s
            .budget
            .map_or_else(|| "-".to_string(), |b| clock(b.seconds));
        let _ = writeln!(
            o,
            "{:>3}  {:<44} {:>6} {:>4} {:>5} {:>4} {:>6} {:>5}",
            i + 1,
            title,
            budget,
            run,
            s.notes.len(),
            s.questions.len(),
            s.expectations.len(),
            s.line
        );
    }
    if !r.timeline.is_empty() {
        let _ = writeln!(o, "\ntimeline:");
        for t in &r.timeline {
            let _ = writeln!(
                o,
                "  {}-{}  {:<36} -> {}  (line {})",
                clock(t.start_seconds),
                clock(t.end_seconds),
                t.label,
                t.step.as_deref().unwrap_or("(no step)"),
                t.line
            );
        }
    }
    if !r.checklist.is_empty() {
        let auto = r.checklist.iter().filter(|c| c.auto.is_some()).count();
        let _ = writeln!(
            o,
            "\nchecklist: {} items, {auto} checked automatically",
            r.checklist.len()
        );
    }
    if !r.services.is_empty() || !r.metrics.is_empty() {
        let _ = writeln!(o, "\nprobes:");
        let origin = |o: Origin| {
            if o == Origin::Declared {
                "declared"
            } else {
                "proposed"
            }
        };
        for s in &r.services {
            let _ = writeln!(
                o,
                "  health   {:<8} {:<44} (line {})",
                origin(s.origin),
                s.url,
                s.line
            );
        }
        for m in &r.metrics {
            let _ = writeln!(
                o,
                "  metrics  {:<8} {:<44} (line {})",
                origin(m.origin),
                m.url,
                m.line
            );
        }
    }
    let _ = writeln!(o, "\nterminals: {}", r.terminals.join(", "));
    let errors = findings
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    if !findings.is_empty() {
        let _ = writeln!(o, "\nfindings:");
        for d in findings {
            let sev = if d.severity == Severity::Error {
                "error"
            } else {
                "warning"
            };
            let _ = writeln!(o, "  {file}:{}: {sev}: {}", d.line, d.message);
        }
    }
    let _ = writeln!(o, "\n{errors} errors, {} warnings", findings.len() - errors);
    o
}
