//! Named, timed stages and the summary table printed at the end of `cargo xtask test`.

use anyhow::{Context, Result};
use std::time::{Duration, Instant};

#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Passed,
    Failed,
    Skipped(String),
}

#[derive(Default)]
pub struct Stages {
    done: Vec<(String, Outcome, Duration)>,
}

impl Stages {
    /// Runs one stage; its error is returned with the stage's name in front.
    pub fn stage(&mut self, name: &str, f: impl FnOnce() -> Result<()>) -> Result<()> {
        println!("\n=== stage: {name} ===");
        let start = Instant::now();
        let r = f();
        let outcome = if r.is_ok() {
            Outcome::Passed
        } else {
            Outcome::Failed
        };
        self.done.push((name.to_owned(), outcome, start.elapsed()));
        r.with_context(|| format!("stage `{name}` failed"))
    }

    pub fn skip(&mut self, name: &str, why: &str) {
        println!("\n=== stage: {name} (skipped: {why}) ===");
        self.done.push((
            name.to_owned(),
            Outcome::Skipped(why.to_owned()),
            Duration::ZERO,
        ));
    }

    pub fn table(&self, all: &[&str]) -> String {
        let mut out = format!("{:<14} {:<22} {:>8}\n", "stage", "result", "seconds");
        out.push_str(&format!("{}\n", "-".repeat(46)));
        let mut total = Duration::ZERO;
        for name in all {
            let (result, secs) = match self.done.iter().find(|(n, ..)| n == name) {
                Some((_, o, d)) => {
                    total += *d;
                    let r = match o {
                        Outcome::Passed => "passed".to_owned(),
                        Outcome::Failed => "FAILED".to_owned(),
                        Outcome::Skipped(why) => format!("skipped ({why})"),
                    };
                    (r, format!("{:.1}", d.as_secs_f64()))
                }
                None => ("not run".to_owned(), "-".to_owned()),
            };
            out.push_str(&format!("{name:<14} {result:<22} {secs:>8}\n"));
        }
        out.push_str(&format!(
            "{:<14} {:<22} {:>8.1}\n",
            "total",
            "",
            total.as_secs_f64()
        ));
        out
    }

    pub fn print_summary(&self, all: &[&str]) {
        let failed = self.done.iter().any(|(_, o, _)| *o == Outcome::Failed);
        println!("\n=== summary ===\n{}", self.table(all));
        println!(
            "{}",
            if failed {
                "RESULT: FAILED"
            } else {
                "RESULT: ok"
            }
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_marks_failed_skipped_and_not_run() {
        let mut st = Stages::default();
        st.stage("a", || Ok(())).unwrap();
        st.skip("b", "--no-e2e");
        let err = st.stage("c", || anyhow::bail!("boom")).unwrap_err();
        assert_eq!(format!("{err:#}"), "stage `c` failed: boom");
        let t = st.table(&["a", "b", "c", "d"]);
        assert!(t.contains("a              passed"), "{t}");
        assert!(t.contains("skipped (--no-e2e)"), "{t}");
        assert!(t.contains("FAILED"), "{t}");
        assert!(t.contains("d              not run"), "{t}");
    }
}
