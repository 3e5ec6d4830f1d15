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
        let runnable = r.checklist.iter().filter(|c| c.block.is_some()).count();
        let _ = write!(
            o,
            "\nchecklist: {} items, {auto} checked automatically",
            r.checklist.len()
        );
        if runnable > 0 {
            let _ = write!(o, ", {runnable} with a command to run");
        }
        let _ = writeln!(o);
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
    if !r.proposed_terminals.is_empty() {
        let _ = writeln!(o, "proposed terminals:");
        for t in &r.proposed_terminals {
            let _ = writeln!(o, "  {:<12} {}  (line {})", t.name, t.purpose, t.line);
        }
    }
    let in_model: usize = r.steps.iter().map(|s| s.blocks.len()).sum();
    let _ = writeln!(
        o,
        "code blocks: {} in the file, {in_model} in the model",
        r.code_blocks_in_source
    );
    let count = |severity| findings.iter().filter(|d| d.severity == severity).count();
    let (errors, warnings, infos) = (
        count(Severity::Error),
        count(Severity::Warning),
        count(Severity::Info),
    );
    if !findings.is_empty() {
        let _ = writeln!(o, "\nfindings:");
        for d in findings {
            let sev = match d.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
                Severity::Info => "info",
            };
            let _ = writeln!(o, "  {file}:{}: {sev}: {}", d.line, d.message);
        }
    }
    let _ = write!(o, "\n{errors} errors, {warnings} warnings");
    if infos > 0 {
        let _ = write!(o, ", {infos} notes on what was inferred");
    }
    let _ = writeln!(o);
    o
}
