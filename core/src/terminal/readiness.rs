//! When a long-runner is ready, told or not: a background server, a watcher, an
//! interactive client. The signals, in the order they are trusted:
//!
//! 1. the block's `expect` text or regex (then nothing else counts);
//! 2. a port the command listens on accepting connections (from its arguments or the
//!    block's `port` attribute; with none known, any port its processes listen on);
//! 3. a line that says it is up (`listening on`, `ready`, `started`, `running on`,
//!    `serving`, or one of the step's own expectation texts);
//! 4. output gone quiet for [`QUIET`] after the program printed something (an
//!    interactive program: a prompt shown for [`PROMPT_SETTLE`], or [`SILENT`]
//!    without printing anything);
//!
//! and only then the timeout. With a port known, quiet output does not count: a
//! server that is still installing or compiling prints nothing for a while.

use std::sync::LazyLock;
use std::time::{Duration, Instant};

use regex::Regex;

use super::error::Result;
use super::step::{millis, ReadyBy, StepAction, StepRequest};
use super::text::{Matcher, Watch};
use super::tracker::{ShellState, TrackState};
use crate::probe::ports;
use crate::runbook::OutputPattern;
use crate::shorten;

/// Output quiet this long after the program printed something: it is up.
pub const QUIET: Duration = Duration::from_millis(500);
/// An interactive program that has printed nothing at all waits for input (`cat`,
/// `nc host port`) once it has been silent this long.
pub const SILENT: Duration = Duration::from_secs(2);
/// A prompt on the cursor's row and nothing printed for this long: it waits for input.
pub const PROMPT_SETTLE: Duration = Duration::from_millis(150);
/// How often ports and quiet output are looked at while a step waits.
pub const POLL: Duration = Duration::from_millis(100);
/// How long one port probe may take.
const CONNECT_TIMEOUT: Duration = Duration::from_millis(50);

/// Words of a line that says a server is up.
static UP_LINE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)\b(listening|ready|started|running on|running at|serving|accepting connections)\b",
    )
    .expect("static regex")
});

/// Words that turn such a line around ("waiting until ready", "not ready").
static NOT_UP: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(not|waiting|wait|until|unless|failed|error)\b").expect("static regex")
});

/// What can make one long-runner ready. Built before its command is typed.
pub(crate) struct Signals {
    expect: Option<(Matcher, String)>,
    /// The search for `expect`, from the command's `C` mark on.
    watch: Option<Watch>,
    ports: Vec<u16>,
    /// Ports that accepted connections before the command started: they count only
    /// once one of the command's own processes listens on them.
    taken: Vec<u16>,
    lines: Vec<String>,
    interactive: bool,
    /// Where the lines scanned so far end (absolute text position).
    scanned: Option<usize>,
    /// The program printed something that is not blank.
    printed: bool,
}

impl Signals {
    pub(crate) fn for_request(req: &StepRequest) -> Result<Self> {
        let expect = match &req.expect {
            Some(p) => Some((Matcher::new(p)?, pattern_text(p))),
            None => None,
        };
        let taken = req
            .ports
            .iter()
            .copied()
            .filter(|p| ports::listening(*p, CONNECT_TIMEOUT))
            .collect();
        Ok(Self {
            expect,
            watch: None,
            ports: req.ports.clone(),
            taken,
            lines: req.ready_lines.clone(),
            interactive: matches!(req.action, StepAction::Interactive(_)),
            scanned: None,
            printed: false,
        })
    }

    /// Looks at the output (under the tracker's lock, so nothing slow): the
    /// expectation, an up line, a prompt, quiet output. `cursor_row` gives the text
    /// before the cursor on its row.
    pub(crate) fn check_output(
        &mut self,
        st: &TrackState,
        cursor_row: impl FnOnce() -> String,
    ) -> Option<ReadyBy> {
        // Only the program's own output counts, from its `C` mark on: never the
        // echo of the typed command.
        if st.shell != ShellState::Running {
            return None;
        }
        if let Some((matcher, text)) = &self.expect {
            let watch = self
                .watch
                .get_or_insert_with(|| Watch::new(matcher.clone(), st.output_from));
            return watch.check(&st.text).then(|| ReadyBy::Expect(text.clone()));
        }
        let quiet_for = st.last_output.map_or(Duration::ZERO, |t| t.elapsed());
        if let Some(line) = self.up_line(st, quiet_for >= PROMPT_SETTLE) {
            return Some(ReadyBy::Line(line));
        }
        if self.interactive {
            if quiet_for >= PROMPT_SETTLE {
                if let Some(prompt) = prompt_of(&cursor_row()) {
                    return Some(ReadyBy::Prompt(prompt));
                }
            }
            // A program that printed nothing yet may still be starting (a slow
            // machine, a JVM): silence counts only once it is long.
            let quiet = if self.printed { QUIET } else { SILENT };
            return (quiet_for >= quiet).then(|| ReadyBy::Quiet(millis(quiet)));
        }
        let quiet_counts = self.ports.is_empty() && self.printed;
        (quiet_counts && quiet_for >= QUIET).then(|| ReadyBy::Quiet(millis(QUIET)))
    }

    /// Looks at the ports (outside any lock: this reads /proc and connects).
    /// `processes` lists the command's processes (the terminal's, its shell left out).
    ///
    /// A port counts once one of those processes listens on it: a port named in the
    /// command may be a peer's (`--peers 1=127.0.0.1:5301,...`). Where /proc tells
    /// nothing of them (a port published by a container's proxy), a named port that
    /// was free before the start and now accepts connections counts.
    pub(crate) fn check_ports(&self, processes: impl FnOnce() -> Vec<i32>) -> Option<u16> {
        if self.expect.is_some() || self.interactive {
            return None;
        }
        let held = ports::listened_on_by(&processes());
        if self.ports.is_empty() {
            return held.first().copied();
        }
        if let Some(own) = self.ports.iter().find(|p| held.contains(p)) {
            return Some(*own);
        }
        if !held.is_empty() {
            return None;
        }
        self.ports
            .iter()
            .copied()
            .find(|p| !self.taken.contains(p) && ports::listening(*p, CONNECT_TIMEOUT))
    }

    /// The first line since the last look that says the program is up: a complete
    /// line, or the unfinished last one once the output has `settled` (a line still
    /// arriving in pieces is not read half-way).
    fn up_line(&mut self, st: &TrackState, settled: bool) -> Option<String> {
        let from = self.scanned.unwrap_or(st.output_from).max(st.output_from);
        let (text, _) = st.text.since(from);
        let complete = text.rfind('\n').map_or(0, |i| i + 1);
        let (lines, partial) = text.split_at(complete);
        self.printed |= !text.trim().is_empty();
        let partial = settled.then_some(partial);
        let found = lines
            .lines()
            .chain(partial)
            .find_map(|line| self.says_up(line));
        self.scanned = Some(from + complete);
        found
    }

    fn says_up(&self, line: &str) -> Option<String> {
        if let Some(own) = self.lines.iter().find(|l| line.contains(l.as_str())) {
            return Some(own.clone());
        }
        let line = line.trim();
        (UP_LINE.is_match(line) && !NOT_UP.is_match(line)).then(|| shorten(line))
    }
}

/// A prompt ending the cursor's row (`> `, `$ `, `calc> `, `Password: `), trimmed.
fn prompt_of(row: &str) -> Option<String> {
    let row = row.trim_end();
    let last = row.chars().last()?;
    matches!(last, '>' | '$' | '#' | '%' | '?' | ':' | ']').then(|| {
        let start = row.rfind(char::is_whitespace).map_or(0, |i| i + 1);
        row[start..].to_string()
    })
}

fn pattern_text(p: &OutputPattern) -> String {
    match p {
        OutputPattern::Text(t) => t.clone(),
        OutputPattern::Regex(r) => format!("/{r}/"),
    }
}

/// The next time a waiting step looks at what no output announces (ports, quiet).
pub(crate) fn next_poll(deadline: Instant) -> Instant {
    deadline.min(Instant::now() + POLL)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prompts_are_the_end_of_the_cursor_row() {
        assert_eq!(prompt_of("> ").as_deref(), Some(">"));
        assert_eq!(prompt_of("calc> ").as_deref(), Some("calc>"));
        assert_eq!(prompt_of("Password: ").as_deref(), Some("Password:"));
        assert_eq!(prompt_of("postgres=# ").as_deref(), Some("postgres=#"));
        assert_eq!(prompt_of("loading 3 of 5"), None);
        assert_eq!(prompt_of(""), None);
    }

    #[test]
    fn up_lines_say_so_and_waiting_lines_do_not() {
        let s = Signals {
            expect: None,
            watch: None,
            ports: Vec::new(),
            taken: Vec::new(),
            lines: vec!["Became LEADER".into()],
            interactive: false,
            scanned: None,
            printed: false,
        };
        let up = |l: &str| s.says_up(l);
        assert_eq!(
            up("Server listening on http://127.0.0.1:8080").as_deref(),
            Some("Server listening on http://127.0.0.1:8080")
        );
        assert!(up("Serving HTTP on 0.0.0.0 port 8000").is_some());
        assert!(up("ready in 320 ms").is_some());
        assert!(up("  Started server process [4242]").is_some());
        assert_eq!(
            up("node 3: Became LEADER for term 1").as_deref(),
            Some("Became LEADER")
        );
        assert_eq!(up("Waiting for the database to be ready"), None);
        assert_eq!(up("service not ready yet"), None);
        assert_eq!(up("loading module a"), None);
        assert_eq!(shorten(&"x".repeat(80)).chars().count(), 60);
    }
}
