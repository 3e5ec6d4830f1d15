//! `cuedeck rehearse RUNBOOK [--from STEP] [--only STEP,...] [--json] [--junit FILE] [--no-record] [--typing]`:
//! runs every runnable step in real terminals, headless, records them into a new
//! rehearsal folder (`.cuedeck/rehearsals/...`), and reports each step's status,
//! exit code, duration and expectations (and writes them as JUnit XML with `--junit`,
//! for CI systems). It first prints what runs beyond the
//! visible blocks (the trust sheet). Exits 1 when any step failed, 2 when the
//! runbook cannot be read or has errors, 3 when it asks for what no runbook may do.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use crate::record::redact::{self, Redactor};
use crate::runbook::{self, lint, Runbook, Severity, Step};
use crate::show::junit;
use crate::show::rehearse::{self, Probing};
use crate::show::run_all::{self, Progress, Report, Selection, StepResult};
use crate::show::terminals;
use crate::terminal::{StepStatus, TerminalManager};
use crate::trust;

use super::check::clock;

#[derive(Debug, clap::Args)]
pub struct RehearseArgs {
    /// The Markdown runbook to rehearse.
    pub runbook: PathBuf,
    /// Start at this step (its id, number, or title).
    #[arg(long)]
    pub from: Option<String>,
    /// Run only these steps (ids, numbers or titles, comma-separated).
    #[arg(long, value_delimiter = ',')]
    pub only: Vec<String>,
    /// Stop at the first failing step (by default every step runs and is reported).
    #[arg(long)]
    pub fail_fast: bool,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
    /// Also write the report as JUnit XML to FILE (one test case per step), as CI
    /// systems read test results.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Run the steps without recording them.
    #[arg(long)]
    pub no_record: bool,
    /// Type commands that have a `typing` speed at that speed, as on stage
    /// (`typing: keys` at 40 characters a second); by default they are pasted at once.
    #[arg(long)]
    pub typing: bool,
}

/// Prints each step as it finishes (unless the report goes out as JSON).
struct PrintProgress {
    json: bool,
}

impl Progress for PrintProgress {
    fn step_finished(&mut self, _step: &Step, result: &StepResult) {
        if !self.json {
            eprintln!("{}", progress_line(result));
        }
    }
}

pub fn run(args: &RehearseArgs) -> ExitCode {
    let runbook = match runbook::load(&args.runbook) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    redact::redact_logs_with(Redactor::for_runbook(&runbook));
    let file = args.runbook.display().to_string();
    // Running the command is the presenter's trust; the sheet says what it covers,
    // and what no runbook may do is refused here as in the app.
    let sheet = trust::sheet(&runbook, &args.runbook);
    if !sheet.blocked.is_empty() {
        for refusal in sheet.refusals() {
            eprintln!("{refusal}");
        }
        eprintln!("error: {file} asks for what no runbook may do: nothing was run");
        return ExitCode::from(3);
    }
    eprint!("{}", sheet.describe());
    let errors: Vec<_> = lint::lint(&runbook)
        .into_iter()
        .filter(|d| d.severity == Severity::Error)
        .collect();
    if !errors.is_empty() {
        for d in errors {
            eprintln!("{file}:{}: error: {}", d.line, d.message);
        }
        eprintln!("error: fix the runbook before rehearsing it (`cuedeck check {file}`)");
        return ExitCode::from(2);
    }
    let manager = Arc::new(TerminalManager::new(terminals::session_options(
        &runbook,
        &args.runbook,
    )));
    close_on_interrupt(&manager);
    let selection = Selection {
        from: args.from.clone(),
        only: args.only.clone(),
        fail_fast: args.fail_fast,
        keep_terminals: false,
        typing: args.typing,
    };
    let progress = PrintProgress { json: args.json };
    let started = jiff::Timestamp::now()
        .strftime("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    let (report, folder) = if args.no_record {
        match run_all::run_all(&runbook, &manager, &selection, progress) {
            Ok(report) => (report, None),
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(2);
            }
        }
    } else {
        let rehearsed = rehearse::rehearse(
            &args.runbook,
            &runbook,
            &manager,
            &selection,
            Probing::Own,
            |_| {},
            progress,
        );
        match rehearsed {
            Ok((report, _, recorder)) => (report, Some(recorder.dir().to_path_buf())),
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(2);
            }
        }
    };
    if args.json {
        print_json(&report, folder.as_deref());
    } else {
        print!("{}", table(&runbook, &report));
        if let Some(folder) = &folder {
            println!("recorded in {}", folder.display());
        }
    }
    if let Some(path) = &args.junit {
        let suite = junit::Suite {
            runbook: &runbook,
            file: &file,
            report: &report,
            selection: &selection,
            timestamp: started,
        };
        if let Err(e) = std::fs::write(path, junit::to_xml(&[suite])) {
            eprintln!(
                "error: cannot write the JUnit report {}: {e}",
                path.display()
            );
            return ExitCode::from(2);
        }
    }
    ExitCode::from(u8::from(report.failed() > 0))
}

/// The report as JSON, with the rehearsal folder (`null` when not recorded).
fn print_json(report: &Report, folder: Option<&std::path::Path>) {
    let mut value = match serde_json::to_value(report) {
        Ok(v) => v,
        Err(e) => {
            eprintln!("error: cannot encode the report: {e}");
            return;
        }
    };
    value["rehearsal"] = folder.map_or(serde_json::Value::Null, |f| f.display().to_string().into());
    match serde_json::to_string_pretty(&value) {
        Ok(text) => println!("{text}"),
        Err(e) => eprintln!("error: cannot encode the report: {e}"),
    }
}

/// Ctrl-C closes every terminal (their shells run in sessions of their own and would
/// not see the signal), then exits.
fn close_on_interrupt(manager: &Arc<TerminalManager>) {
    let manager = Arc::clone(manager);
    let installed = ctrlc::set_handler(move || {
        let left = manager.close_all();
        eprintln!("\ninterrupted: terminals closed ({left} processes left)");
        std::process::exit(130);
    });
    if let Err(e) = installed {
        tracing::warn!("cannot handle Ctrl-C: {e}");
    }
}

fn status_word(status: StepStatus) -> &'static str {
    match status {
        StepStatus::Ok => "ok",
        StepStatus::Failed => "FAILED",
        StepStatus::TimedOut => "TIMED OUT",
        StepStatus::Stopped => "stopped",
        StepStatus::Ready => "ready",
    }
}

fn seconds(ms: u64) -> String {
    format!("{:.1}s", ms as f64 / 1000.0)
}

fn progress_line(s: &StepResult) -> String {
    let code = s
        .exit_code
        .map_or(String::new(), |c| format!(" (exit {c})"));
    format!(
        "{:>3}. {} — {}{code} in {}",
        s.number,
        s.title,
        status_word(s.status),
        seconds(s.duration_ms)
    )
}

fn table(runbook: &Runbook, report: &Report) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "\nrehearsal of \"{}\"\n", runbook.title);
    let _ = writeln!(
        o,
        "{:>3}  {:<42} {:<10} {:>4} {:>8} {:>7}  budget",
        "#", "step", "status", "exit", "time", "expect"
    );
    for s in &report.steps {
        let title: String = s.title.chars().take(42).collect();
        let exit = s.exit_code.map_or("-".to_string(), |c| c.to_string());
        let expect = s
            .expectations_met
            .map_or("-".to_string(), |(met, of)| format!("{met}/{of}"));
        let budget = runbook
            .steps
            .get(s.number - 1)
            .and_then(|st| st.budget)
            .map_or("-".to_string(), |b| clock(b.seconds));
        let _ = writeln!(
            o,
            "{:>3}  {:<42} {:<10} {:>4} {:>8} {:>7}  {}",
            s.number,
            title,
            status_word(s.status),
            exit,
            seconds(s.duration_ms),
            expect,
            budget
        );
        if let Some(m) = &s.message {
            let _ = writeln!(o, "     {m}");
        }
    }
    let failed = report.failed();
    let _ = writeln!(
        o,
        "\n{} steps, {} ok, {failed} failed",
        report.steps.len(),
        report.steps.len() - failed
    );
    if report.leftover_processes > 0 {
        let _ = writeln!(
            o,
            "warning: {} processes survived closing the terminals",
            report.leftover_processes
        );
    }
    o
}
