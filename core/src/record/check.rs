//! Verifying a rehearsal folder: the manifest against the casts and samples it
//! names (`cuedeck play --check`). Problems make the folder unfit for playback;
//! warnings do not.

use std::collections::BTreeMap;
use std::path::Path;

use super::cast::{self, Cast, EventCode};
use super::manifest::Manifest;
use super::rehearsal::end_marker;
use super::samples;

/// A marker may be written a little after the time the manifest took.
const MARKER_SLACK: f64 = 0.5;

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct CheckReport {
    /// What is wrong, each naming the file (and line) concerned.
    pub problems: Vec<String>,
    pub warnings: Vec<String>,
    /// What was checked, one line each.
    pub checked: Vec<String>,
}

impl CheckReport {
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Checks the rehearsal folder `dir`.
pub fn check(dir: &Path) -> CheckReport {
    let mut report = CheckReport::default();
    let manifest = match Manifest::load(dir) {
        Ok(m) => m,
        Err(e) => {
            report.problems.push(e.to_string());
            return report;
        }
    };
    if manifest.finished.is_none() {
        report
            .warnings
            .push("the rehearsal was cut short (no `finished` in the manifest)".into());
    }
    let casts = check_casts(dir, &manifest, &mut report);
    for step in &manifest.steps {
        if step.end < step.start {
            report.problems.push(format!(
                "step `{}`: ends ({:.3} s) before it starts ({:.3} s)",
                step.id, step.end, step.start
            ));
        }
        for terminal in &step.terminals {
            let Some(cast) = casts.get(terminal) else {
                report.problems.push(format!(
                    "step `{}` ran in terminal `{terminal}`, which has no cast in the manifest",
                    step.id
                ));
                continue;
            };
            // Only the end marker: a terminal started during the step gets its start
            // marker when it starts, later than the step's start.
            let file = file_of(&manifest, terminal);
            check_marker(cast, &end_marker(&step.id), step.end, &file, &mut report);
            if cast.duration() + MARKER_SLACK < step.end {
                report.problems.push(format!(
                    "{file}: ends at {:.3} s, before step `{}` does ({:.3} s)",
                    cast.duration(),
                    step.id,
                    step.end
                ));
            }
        }
    }
    report.checked.push(format!(
        "{} steps: {} passed, {} failed",
        manifest.steps.len(),
        manifest.passed(),
        manifest.failed()
    ));
    check_samples(dir, &manifest, &mut report);
    report
}

fn file_of(manifest: &Manifest, terminal: &str) -> String {
    manifest
        .terminals
        .iter()
        .find(|t| t.name == terminal)
        .map_or_else(|| terminal.to_string(), |t| t.file.clone())
}

fn check_casts(
    dir: &Path,
    manifest: &Manifest,
    report: &mut CheckReport,
) -> BTreeMap<String, Cast> {
    let mut casts = BTreeMap::new();
    for t in &manifest.terminals {
        match cast::read(&dir.join(&t.file)) {
            Ok(cast) => {
                for bad in &cast.skipped {
                    report
                        .problems
                        .push(format!("{}:{}: {}", t.file, bad.line, bad.message));
                }
                if cast.truncated {
                    report
                        .warnings
                        .push(format!("{}: the last line is cut short (ignored)", t.file));
                }
                report.checked.push(format!(
                    "{}: terminal `{}`, {} events, {:.1} s",
                    t.file,
                    t.name,
                    cast.events.len(),
                    cast.duration()
                ));
                casts.insert(t.name.clone(), cast);
            }
            Err(e) => report.problems.push(e.to_string()),
        }
    }
    casts
}

fn check_marker(cast: &Cast, label: &str, at: f64, file: &str, report: &mut CheckReport) {
    let found = cast
        .events
        .iter()
        .find(|e| e.code == EventCode::Marker && e.data == label);
    match found {
        None => report.problems.push(format!("{file}: no `{label}` marker")),
        Some(e) if (e.time - at).abs() > MARKER_SLACK => report.problems.push(format!(
            "{file}: the `{label}` marker is at {:.3} s, the manifest says {at:.3} s",
            e.time
        )),
        Some(_) => {}
    }
}

fn check_samples(dir: &Path, manifest: &Manifest, report: &mut CheckReport) {
    let Some(file) = &manifest.samples else {
        return;
    };
    match samples::read(&dir.join(file)) {
        Ok((samples, bad)) => {
            for b in bad {
                report
                    .problems
                    .push(format!("{file}:{}: {}", b.line, b.message));
            }
            report
                .checked
                .push(format!("{file}: {} samples", samples.len()));
        }
        Err(e) => report.problems.push(format!("cannot read {file}: {e}")),
    }
}
