//! A rehearsal's report as JUnit XML, the test-result format every CI system reads
//! (GitLab, Jenkins, GitHub Actions' test reporters, Azure, Buildkite, ...).
//!
//! One `<testsuite>` per runbook, one `<testcase>` per step that has something to run
//! (a step of prose only is no test): a step that ran is passed or has a `<failure>`
//! (its status, exit code, the expectations not met, and the tail of its output); a
//! step that did not run is `<skipped>` with the reason (optional, left out by `--only`
//! or `--from`, not reached after `--fail-fast`). Every string is masked with the
//! runbook's `redact` patterns, as the report it comes from.

use std::fmt::Write as _;

use crate::record::redact::Redactor;
use crate::runbook::Runbook;
use crate::show::block::is_failure;
use crate::show::run_all::{self, Report, Selection, StepResult};
use crate::terminal::StepStatus;

/// Lines of output a failure carries: enough to see the error, little enough to read.
const FAILURE_TAIL_LINES: usize = 40;
/// Bytes of output a test case's `<system-out>` keeps (its end).
const SYSTEM_OUT_BYTES: usize = 64 * 1024;

/// What one rehearsal ran, for its JUnit file.
pub struct Suite<'a> {
    pub runbook: &'a Runbook,
    /// The runbook's path as the user named it (the test cases' `file` and `classname`).
    pub file: &'a str,
    pub report: &'a Report,
    pub selection: &'a Selection,
    /// When the rehearsal started, RFC 3339.
    pub timestamp: String,
}

/// The JUnit XML document of `suites`.
pub fn to_xml(suites: &[Suite<'_>]) -> String {
    let cases: Vec<SuiteCases> = suites.iter().map(cases_of).collect();
    let all = || cases.iter().flat_map(|s| &s.cases);
    let total = |f: fn(&Case) -> bool| all().filter(|c| f(c)).count();
    let seconds: f64 = all().map(|c| c.seconds).sum();
    let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        xml,
        "<testsuites name=\"cuedeck rehearse\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"{}\" time=\"{seconds:.3}\">",
        total(|_| true),
        total(|c| matches!(c.verdict, Verdict::Failed { .. })),
        total(|c| matches!(c.verdict, Verdict::Skipped(_))),
    );
    for (suite, cases) in suites.iter().zip(&cases) {
        write_suite(&mut xml, suite, cases);
    }
    xml.push_str("</testsuites>\n");
    xml
}

/// A suite's test cases, and its title masked with the same redactor.
struct SuiteCases {
    title: String,
    cases: Vec<Case>,
}

/// One step as a test case.
struct Case {
    name: String,
    line: usize,
    seconds: f64,
    verdict: Verdict,
    output: String,
}

enum Verdict {
    Passed,
    Failed {
        kind: &'static str,
        message: String,
        tail: String,
    },
    Skipped(String),
}

fn cases_of(suite: &Suite<'_>) -> SuiteCases {
    let runbook = suite.runbook;
    let redactor = Redactor::for_runbook(runbook);
    // Selection errors were reported before anything ran; none here means none selected.
    let selected = run_all::select(runbook, suite.selection).unwrap_or_default();
    let stopped_after = suite
        .report
        .steps
        .iter()
        .find(|s| is_failure(s.status))
        .map(|s| s.number)
        .filter(|_| suite.selection.fail_fast);
    let cases = runbook
        .steps
        .iter()
        .enumerate()
        .filter(|(_, step)| run_all::has_runnable_blocks(step))
        .map(|(i, step)| {
            let name = redactor.redact_string(&format!("{}. {}", i + 1, step.title));
            match suite.report.steps.iter().find(|s| s.number == i + 1) {
                Some(result) => ran(name, result),
                None => Case {
                    name,
                    line: step.line,
                    seconds: 0.0,
                    verdict: Verdict::Skipped(skip_reason(
                        suite.selection,
                        step.optional,
                        selected.contains(&i),
                        stopped_after,
                    )),
                    output: String::new(),
                },
            }
        })
        .collect();
    SuiteCases {
        title: redactor.redact_string(&runbook.title),
        cases,
    }
}

fn ran(name: String, result: &StepResult) -> Case {
    let output = step_output(result);
    let verdict = if is_failure(result.status) {
        Verdict::Failed {
            kind: match result.status {
                StepStatus::TimedOut => "timed out",
                StepStatus::Stopped => "stopped",
                _ => "failed",
            },
            message: failure_message(result),
            tail: tail_lines(&output, FAILURE_TAIL_LINES).to_string(),
        }
    } else {
        Verdict::Passed
    };
    Case {
        name,
        line: result.line,
        seconds: result.duration_ms as f64 / 1000.0,
        verdict,
        output,
    }
}

/// Why a step that could run did not.
fn skip_reason(
    selection: &Selection,
    optional: bool,
    selected: bool,
    stopped_after: Option<usize>,
) -> String {
    match (selected, stopped_after) {
        (true, Some(n)) => format!("not reached: --fail-fast stopped after step {n} failed"),
        (true, None) => "not reached".into(),
        (false, _) if !selection.only.is_empty() => "not named by --only".into(),
        (false, _) if optional => "optional step (run it with --only)".into(),
        (false, _) => "before the --from step".into(),
    }
}

/// "exit 1; expected 'Listening' was not seen; <message>".
fn failure_message(result: &StepResult) -> String {
    let mut parts = Vec::new();
    if let Some(code) = result.exit_code {
        parts.push(format!("exit {code}"));
    }
    for e in result.expectations.iter().filter(|e| !e.met) {
        parts.push(format!("expected {:?} was not seen", e.expected));
    }
    if let Some(m) = &result.message {
        parts.push(m.clone());
    }
    if parts.is_empty() {
        parts.push(format!("{:?}", result.status).to_lowercase());
    }
    parts.join("; ")
}

/// What the step's commands printed, in order (already masked in the report).
fn step_output(result: &StepResult) -> String {
    let mut out = String::new();
    for command in result
        .blocks
        .iter()
        .flat_map(|b| &b.outcomes)
        .flat_map(|o| &o.commands)
    {
        let _ = writeln!(out, "$ {}", command.command);
        out.push_str(&command.output);
        if !command.output.is_empty() && !command.output.ends_with('\n') {
            out.push('\n');
        }
    }
    out
}

fn tail_lines(text: &str, lines: usize) -> &str {
    let trimmed = text.trim_end_matches('\n');
    let start = trimmed
        .rmatch_indices('\n')
        .nth(lines.saturating_sub(1))
        .map_or(0, |(i, _)| i + 1);
    &trimmed[start..]
}

fn tail_bytes(text: &str, bytes: usize) -> &str {
    let mut start = text.len().saturating_sub(bytes);
    while !text.is_char_boundary(start) {
        start += 1;
    }
    &text[start..]
}

fn write_suite(xml: &mut String, suite: &Suite<'_>, masked: &SuiteCases) {
    let cases = &masked.cases;
    let failures = cases
        .iter()
        .filter(|c| matches!(c.verdict, Verdict::Failed { .. }))
        .count();
    let skipped = cases
        .iter()
        .filter(|c| matches!(c.verdict, Verdict::Skipped(_)))
        .count();
    let seconds: f64 = cases.iter().map(|c| c.seconds).sum();
    let _ = writeln!(
        xml,
        "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\" errors=\"0\" skipped=\"{skipped}\" time=\"{seconds:.3}\" timestamp=\"{}\" file=\"{}\">",
        attr(&masked.title),
        cases.len(),
        attr(&suite.timestamp),
        attr(suite.file),
    );
    if suite.report.leftover_processes > 0 {
        let _ = writeln!(
            xml,
            "    <properties><property name=\"leftover-processes\" value=\"{}\"/></properties>",
            suite.report.leftover_processes
        );
    }
    for case in cases {
        write_case(xml, suite.file, case);
    }
    xml.push_str("  </testsuite>\n");
}

fn write_case(xml: &mut String, file: &str, case: &Case) {
    let _ = write!(
        xml,
        "    <testcase name=\"{}\" classname=\"{}\" time=\"{:.3}\" file=\"{}\" line=\"{}\"",
        attr(&case.name),
        attr(file),
        case.seconds,
        attr(file),
        case.line,
    );
    if matches!(case.verdict, Verdict::Passed) && case.output.is_empty() {
        xml.push_str("/>\n");
        return;
    }
    xml.push_str(">\n");
    match &case.verdict {
        Verdict::Passed => {}
        Verdict::Failed {
            kind,
            message,
            tail,
        } => {
            let _ = writeln!(
                xml,
                "      <failure type=\"{kind}\" message=\"{}\">{}</failure>",
                attr(message),
                text(tail)
            );
        }
        Verdict::Skipped(why) => {
            let _ = writeln!(xml, "      <skipped message=\"{}\"/>", attr(why));
        }
    }
    if !case.output.is_empty() {
        let _ = writeln!(
            xml,
            "      <system-out>{}</system-out>",
            text(tail_bytes(&case.output, SYSTEM_OUT_BYTES))
        );
    }
    xml.push_str("    </testcase>\n");
}

/// Text content: escaped, without the characters XML 1.0 cannot hold at all (the
/// control characters a terminal's output may still carry).
fn text(s: &str) -> String {
    escape(s, false)
}

/// An attribute value: as [`text`], and quotes and line breaks as references so a
/// reader's attribute normalisation keeps them.
fn attr(s: &str) -> String {
    escape(s, true)
}

fn escape(s: &str, attribute: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if attribute => out.push_str("&quot;"),
            '\n' if attribute => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' if attribute => out.push_str("&#9;"),
            '\t' | '\n' => out.push(c),
            c if allowed_in_xml(c) => out.push(c),
            // Shown, not dropped: the reader sees something was there.
            _ => out.push('\u{FFFD}'),
        }
    }
    out
}

/// XML 1.0's `Char` production.
fn allowed_in_xml(c: char) -> bool {
    matches!(c, '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_replaces_what_xml_cannot_hold() {
        assert_eq!(
            text("a<b & c>\u{1b}[0m\u{7}"),
            "a&lt;b &amp; c&gt;\u{FFFD}[0m\u{FFFD}"
        );
        assert_eq!(
            attr("say \"hi\"\nthen\tgo"),
            "say &quot;hi&quot;&#10;then&#9;go"
        );
        assert_eq!(text("line\r\n"), "line&#13;\n");
    }

    #[test]
    fn tails_keep_the_end() {
        assert_eq!(tail_lines("a\nb\nc\n", 2), "b\nc");
        assert_eq!(tail_lines("a\nb", 5), "a\nb");
        assert_eq!(tail_lines("", 5), "");
        assert_eq!(tail_bytes("héllo", 4), "llo");
    }
}
