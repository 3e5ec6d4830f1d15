//! Where the shell is, from the OSC 133 marks in its output: at a prompt, running a
//! command, or gone; and the plain text of the output, for steps and expectations.
//! Fed by the pipeline thread; step runners wait on it.

use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::Instant;

use serde::Serialize;

use super::osc133::Mark;
use super::text::{TextStripper, TextWindow};

/// Bytes of plain output text kept per terminal (the window holds up to twice this).
const TEXT_WINDOW: usize = 256 * 1024;

/// What the shell of a terminal is doing, as its prompt marks tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum ShellState {
    /// Started, no prompt yet.
    Starting,
    /// Drawing its prompt (`A` seen, or a command just ended).
    Prompt,
    /// At a fresh prompt, waiting for a command (`B` seen).
    Ready,
    /// A command was typed by Cuedeck and is being accepted.
    Submitted,
    /// A command (or the program it started) is running (`C` seen).
    Running,
    /// The shell has exited.
    Exited,
}

/// A command that ended (`D` mark), and where its output lies in the text window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ended {
    pub exit_code: Option<i32>,
    pub output_from: usize,
    pub output_to: usize,
    pub at: Instant,
}

/// The tracked state; read under the tracker's lock.
#[derive(Debug)]
pub struct TrackState {
    pub shell: ShellState,
    pub text: TextWindow,
    stripper: TextStripper,
    /// Where the output of the current (or last) command starts in `text`.
    pub output_from: usize,
    /// How many `D` marks were seen.
    pub ended: u64,
    pub last_ended: Option<Ended>,
    /// How many times Stop was asked for.
    pub stops: u64,
    /// Output batches processed: lets a waiter tell that something new arrived.
    pub batches: u64,
    pub last_output: Option<Instant>,
    /// The shell's own exit code, once it exited.
    pub shell_exit: Option<u32>,
    /// The PTY reached end of file: no more output will come.
    pub eof: bool,
}

impl TrackState {
    fn new() -> Self {
        Self {
            shell: ShellState::Starting,
            text: TextWindow::new(TEXT_WINDOW),
            stripper: TextStripper::new(),
            output_from: 0,
            ended: 0,
            last_ended: None,
            stops: 0,
            batches: 0,
            last_output: None,
            shell_exit: None,
            eof: false,
        }
    }

    /// The shell can no longer run anything.
    pub fn is_gone(&self) -> bool {
        self.shell == ShellState::Exited || self.eof
    }

    fn feed_text(&mut self, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        let Self { stripper, text, .. } = self;
        stripper.feed(bytes, text);
        text.trim();
    }

    fn apply(&mut self, mark: Mark) {
        if self.shell == ShellState::Exited {
            return;
        }
        match mark {
            Mark::PromptStart => self.shell = ShellState::Prompt,
            Mark::CommandStart => self.shell = ShellState::Ready,
            Mark::OutputStart => {
                // bash shows PS0 before each command of a multi-command line: the
                // output starts at the first.
                if self.shell != ShellState::Running {
                    self.output_from = self.text.end();
                }
                self.shell = ShellState::Running;
            }
            Mark::CommandEnd(exit_code) => {
                self.stripper.rewind_pending(&mut self.text);
                self.ended += 1;
                self.last_ended = Some(Ended {
                    exit_code,
                    output_from: self.output_from,
                    output_to: self.text.end(),
                    at: Instant::now(),
                });
                self.shell = ShellState::Prompt;
            }
        }
    }

    /// Cuedeck is about to type a command at the prompt.
    pub fn submit(&mut self) {
        self.shell = ShellState::Submitted;
        self.output_from = self.text.end();
    }

    /// The plain text between two positions, and whether its start was forgotten.
    pub fn text_between(&self, from: usize, to: usize) -> (String, bool) {
        let (since, truncated) = self.text.since(from);
        let len = to.saturating_sub(from.max(self.text.end() - since.len()));
        let mut end = len.min(since.len());
        while !since.is_char_boundary(end) {
            end -= 1;
        }
        (since[..end].to_string(), truncated)
    }
}

/// Why a wait ended without its condition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WaitEnd {
    TimedOut,
    ShellGone,
}

/// The tracked state and a condition variable signalled on every change.
#[derive(Debug)]
pub struct Tracker {
    state: Mutex<TrackState>,
    cond: Condvar,
}

impl Default for Tracker {
    fn default() -> Self {
        Self {
            state: Mutex::new(TrackState::new()),
            cond: Condvar::new(),
        }
    }
}

impl Tracker {
    pub fn lock(&self) -> MutexGuard<'_, TrackState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Changes the state and wakes every waiter.
    pub fn update<T>(&self, f: impl FnOnce(&mut TrackState) -> T) -> T {
        let out = f(&mut self.lock());
        self.cond.notify_all();
        out
    }

    /// One processed output batch, with the marks found in it (offsets into `batch`).
    pub fn on_batch(&self, batch: &[u8], marks: &[(usize, Mark)]) {
        self.update(|st| {
            let mut from = 0;
            for &(offset, mark) in marks {
                st.feed_text(&batch[from..offset]);
                st.apply(mark);
                from = offset;
            }
            st.feed_text(&batch[from..]);
            st.batches += 1;
            st.last_output = Some(Instant::now());
        });
    }

    /// Waits until `f` returns `Some`, the deadline passes or the shell is gone.
    pub fn wait_for<T>(
        &self,
        deadline: Instant,
        mut f: impl FnMut(&TrackState) -> Option<T>,
    ) -> Result<T, WaitEnd> {
        self.wait_until(deadline, |st| match f(st) {
            Some(v) => Some(Ok(v)),
            None => st.is_gone().then_some(Err(WaitEnd::ShellGone)),
        })
        .unwrap_or(Err(WaitEnd::TimedOut))
    }

    /// Waits until `f` returns `Some` or the deadline passes (`None`).
    pub fn wait_until<T>(
        &self,
        deadline: Instant,
        mut f: impl FnMut(&TrackState) -> Option<T>,
    ) -> Option<T> {
        wait_on(&self.state, &self.cond, deadline, |st| f(st))
    }
}

/// Waits on `cond` until `f` gives `Some` (asked first, then after each wake-up)
/// or `deadline` passes (`None`). A poisoned lock is taken over: the state a
/// panicking holder left is still the best answer there is.
pub(crate) fn wait_on<S, T>(
    state: &Mutex<S>,
    cond: &Condvar,
    deadline: Instant,
    mut f: impl FnMut(&mut S) -> Option<T>,
) -> Option<T> {
    let mut st = state.lock().unwrap_or_else(|e| e.into_inner());
    loop {
        if let Some(v) = f(&mut st) {
            return Some(v);
        }
        let now = Instant::now();
        if now >= deadline {
            return None;
        }
        st = cond
            .wait_timeout(st, deadline - now)
            .map(|(g, _)| g)
            .unwrap_or_else(|e| e.into_inner().0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed(t: &Tracker, batch: &[u8]) {
        let mut marks = Vec::new();
        super::super::osc133::Osc133Scanner::new().scan(batch, &mut marks);
        t.on_batch(batch, &marks);
    }

    #[test]
    fn marks_drive_the_state_and_delimit_output() {
        let t = Tracker::default();
        feed(&t, b"\x1b]133;A\x07$ \x1b]133;B\x07");
        assert_eq!(t.lock().shell, ShellState::Ready);
        t.update(TrackState::submit);
        feed(&t, b"ls\r\n\x1b]133;C\x07file\r\n\x1b]133;D;0\x07");
        let st = t.lock();
        let ended = st.last_ended.unwrap();
        assert_eq!(ended.exit_code, Some(0));
        assert_eq!(
            st.text_between(ended.output_from, ended.output_to).0,
            "file\n"
        );
        assert_eq!(st.shell, ShellState::Prompt);
    }
}
