//! Running steps on a [`Session`]: commands typed as one bracketed paste at a fresh
//! prompt and followed to their `D` mark, background long-runners followed to
//! readiness, input lines typed into a running program, and Stop.

use std::time::{Duration, Instant};

use nix::sys::signal::Signal;
use serde::Serialize;

use crate::runbook::OutputPattern;

use super::error::{Result, TerminalError};
use super::session::Session;
use super::step::{
    millis, CommandOutcome, ReadyBy, StepAction, StepOutcome, StepRequest, StepStatus,
};
use super::stop;
use super::text::{Matcher, Watch};
use super::tracker::{Ended, ShellState, TrackState, WaitEnd};

const PASTE_START: &[u8] = b"\x1b[200~";
const PASTE_END: &[u8] = b"\x1b[201~";
/// Without a prompt to wait for, an input line waits at most this long for its echo.
const ECHO_WAIT: Duration = Duration::from_secs(2);

/// How Stop ended the running command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum StopOutcome {
    /// No command was running.
    NothingRunning,
    /// Ctrl-C was enough.
    Interrupted,
    /// SIGTERM to the foreground process group was.
    Terminated,
    /// SIGKILL was needed.
    Killed,
    /// The command still runs (the shell itself ignores Ctrl-C): close the terminal.
    StillRunning,
}

impl Session {
    /// Runs a step in this terminal (whatever `req.terminal` says) and waits for
    /// its end (or readiness). Errors are for steps that could not start at all.
    pub fn run(&self, req: &StepRequest) -> Result<StepOutcome> {
        if let Some(label) = &req.label {
            self.mark(label);
        }
        let outcome = match &req.action {
            StepAction::Commands(cmds) => self.run_commands(cmds, req),
            StepAction::Background(cmd) => self.run_background(cmd, req),
            StepAction::Input { lines, prompt } => self.run_input(lines, prompt.as_deref(), req),
        }?;
        if let Some(label) = &req.label {
            self.mark(&format!("{label} ({:?})", outcome.status).to_lowercase());
        }
        Ok(outcome)
    }

    fn deadline(&self, req: &StepRequest, default: Duration) -> Instant {
        Instant::now() + req.timeout.unwrap_or(default)
    }

    fn run_commands(&self, cmds: &[String], req: &StepRequest) -> Result<StepOutcome> {
        let started = Instant::now();
        let deadline = self.deadline(req, self.timeouts.step);
        let mut outcomes = Vec::new();
        for cmd in cmds.iter().filter(|c| !c.trim().is_empty()) {
            let outcome = self.run_command_until(cmd, deadline)?;
            let ok = outcome.status == StepStatus::Ok;
            outcomes.push(outcome);
            if !ok {
                break;
            }
        }
        let last = outcomes.last().ok_or(TerminalError::EmptyStep)?;
        let expectation_met = match &req.expect {
            Some(p) => {
                let m = Matcher::new(p)?;
                Some(outcomes.iter().any(|o| m.is_match(&o.output)))
            }
            None => None,
        };
        Ok(StepOutcome {
            terminal: self.name().to_string(),
            status: last.status,
            exit_code: last.exit_code,
            duration_ms: millis(started.elapsed()),
            expectation_met,
            ready_by: None,
            message: None,
            commands: outcomes,
        })
    }

    /// Types one command at a fresh prompt and waits for it to end.
    pub fn run_command(&self, command: &str, timeout: Duration) -> Result<CommandOutcome> {
        self.run_command_until(command, Instant::now() + timeout)
    }

    fn run_command_until(&self, command: &str, deadline: Instant) -> Result<CommandOutcome> {
        self.wait_at_prompt(deadline)?;
        let (ended_before, stops_before) = self.submit(command)?;
        let started = Instant::now();
        let tracker = &self.shared.tracker;
        let end = tracker.wait_for(deadline, |st| ended_since(st, ended_before));
        let (status, ended) = match end {
            Ok(e) => (status_of(&e, tracker.lock().stops > stops_before), e),
            Err(WaitEnd::ShellGone) => return Err(self.gone_error()),
            Err(WaitEnd::TimedOut) => {
                tracing::info!(terminal = %self.name(), command, "step timed out: stopping it");
                self.stop();
                let grace = Instant::now() + self.timeouts.stop_grace;
                match tracker.wait_for(grace, |st| ended_since(st, ended_before)) {
                    Ok(e) => (StepStatus::TimedOut, e),
                    Err(_) => return Ok(self.unfinished(command, started)),
                }
            }
        };
        let (output, output_truncated) = tracker
            .lock()
            .text_between(ended.output_from, ended.output_to);
        Ok(CommandOutcome {
            command: command.to_string(),
            status,
            exit_code: ended.exit_code,
            duration_ms: millis(ended.at.saturating_duration_since(started)),
            output,
            output_truncated,
        })
    }

    fn unfinished(&self, command: &str, started: Instant) -> CommandOutcome {
        let st = self.shared.tracker.lock();
        let (output, output_truncated) = st.text_between(st.output_from, st.text.end());
        CommandOutcome {
            command: command.to_string(),
            status: StepStatus::TimedOut,
            exit_code: None,
            duration_ms: millis(started.elapsed()),
            output,
            output_truncated,
        }
    }

    /// Types `command` as one bracketed paste and Enter. Returns the counts of ended
    /// commands and of Stop requests before it, to recognise its own end.
    fn submit(&self, command: &str) -> Result<(u64, u64)> {
        let text = command.replace("\r\n", "\n");
        let text = text.trim_end_matches('\n').replace("\x1b[201~", "");
        let mut bytes = Vec::with_capacity(text.len() + 16);
        bytes.extend_from_slice(PASTE_START);
        bytes.extend_from_slice(text.as_bytes());
        bytes.extend_from_slice(PASTE_END);
        bytes.push(b'\r');
        let counts = self.shared.tracker.update(|st| {
            st.submit();
            (st.ended, st.stops)
        });
        tracing::debug!(terminal = %self.name(), command, "typing step");
        self.write(&bytes)?;
        Ok(counts)
    }

    fn run_background(&self, cmd: &str, req: &StepRequest) -> Result<StepOutcome> {
        let matcher = req.expect.as_ref().map(Matcher::new).transpose()?;
        let expecting = matcher.is_some();
        self.wait_at_prompt(Instant::now() + self.timeouts.step)?;
        let (ended_before, _) = self.submit(cmd)?;
        let started = Instant::now();
        let deadline = self.deadline(req, self.timeouts.background);
        let mut watch: Option<Watch> = None;
        let waited = self.shared.tracker.wait_for(deadline, |st| {
            if let Some(e) = ended_since(st, ended_before) {
                return Some(Err(e));
            }
            watch_output(st, &mut watch, matcher.as_ref()).then_some(Ok(()))
        });
        let mut outcome = self.outcome(StepStatus::Ready, started);
        outcome.expectation_met = expecting.then_some(true);
        match waited {
            Ok(Ok(())) => outcome.ready_by = Some(ReadyBy::Expect),
            Err(WaitEnd::TimedOut) => {
                outcome.ready_by = Some(ReadyBy::Timeout);
                outcome.expectation_met = expecting.then_some(false);
            }
            Err(WaitEnd::ShellGone) => return Err(self.gone_error()),
            Ok(Err(ended)) => {
                outcome.exit_code = ended.exit_code;
                outcome.expectation_met = expecting.then_some(false);
                if ended.exit_code == Some(0) && !expecting {
                    outcome.status = StepStatus::Ok;
                } else {
                    outcome.status = StepStatus::Failed;
                    outcome.message = Some("exited before it was ready".into());
                }
            }
        }
        Ok(outcome)
    }

    fn outcome(&self, status: StepStatus, started: Instant) -> StepOutcome {
        StepOutcome {
            terminal: self.name().to_string(),
            status,
            exit_code: None,
            duration_ms: millis(started.elapsed()),
            commands: Vec::new(),
            expectation_met: None,
            ready_by: None,
            message: None,
        }
    }

    fn run_input(
        &self,
        lines: &[String],
        prompt: Option<&str>,
        req: &StepRequest,
    ) -> Result<StepOutcome> {
        let started = Instant::now();
        let deadline = self.deadline(req, self.timeouts.step);
        let (ended_before, from) = {
            let st = self.shared.tracker.lock();
            if st.shell != ShellState::Running {
                return Err(TerminalError::NoProgramRunning(self.name().to_string()));
            }
            (st.ended, st.text.end())
        };
        let mut outcome = self.outcome(StepStatus::Ok, started);
        let mut typed_at = None;
        for line in lines {
            if let Err(e) = self.await_line_turn(prompt, typed_at, ended_before, deadline) {
                outcome.status = e.0;
                outcome.message = Some(e.1);
                break;
            }
            typed_at = Some(self.type_line(line)?);
        }
        if let (StepStatus::Ok, Some(typed_at)) = (outcome.status, typed_at) {
            let echo_deadline = deadline.min(Instant::now() + ECHO_WAIT);
            self.await_echo(typed_at, ended_before, echo_deadline);
            outcome.expectation_met = self.await_expect(req.expect.as_ref(), from, deadline)?;
        }
        outcome.duration_ms = millis(started.elapsed());
        Ok(outcome)
    }

    /// Types one line and Enter; returns the count of output batches before it.
    fn type_line(&self, line: &str) -> Result<u64> {
        let batches = self.shared.tracker.lock().batches;
        let mut bytes = line.trim_end_matches(['\r', '\n']).as_bytes().to_vec();
        bytes.push(b'\r');
        self.write(&bytes)?;
        Ok(batches)
    }

    /// Before typing an input line: the previous line's echo has come back (waited
    /// for briefly), and with a prompt, the cursor's row ends with it. Fails if the
    /// program has ended.
    fn await_line_turn(
        &self,
        prompt: Option<&str>,
        typed_at: Option<u64>,
        ended_before: u64,
        deadline: Instant,
    ) -> std::result::Result<(), (StepStatus, String)> {
        if let (None, Some(t)) = (prompt, typed_at) {
            self.await_echo(t, ended_before, deadline.min(Instant::now() + ECHO_WAIT));
        }
        let want = prompt.map(str::trim_end);
        let waited = self.shared.tracker.wait_for(deadline, |st| {
            if ended_since(st, ended_before).is_some() {
                return Some(Err(()));
            }
            let Some(p) = want else {
                return Some(Ok(()));
            };
            let fresh = typed_at.is_none_or(|b| st.batches > b);
            let line = self.shared.outputs().screen.text_before_cursor();
            (fresh && line.trim_end().ends_with(p)).then_some(Ok(()))
        });
        match waited {
            Ok(Ok(())) => Ok(()),
            Ok(Err(())) => Err((
                StepStatus::Failed,
                "the program ended before all input was typed".into(),
            )),
            Err(WaitEnd::TimedOut) => Err((
                StepStatus::TimedOut,
                format!("the prompt {want:?} did not appear"),
            )),
            Err(WaitEnd::ShellGone) => Err((StepStatus::Failed, "the shell exited".into())),
        }
    }

    /// Waits for any new output (the echo of what was just typed), briefly.
    fn await_echo(&self, before: u64, ended_before: u64, deadline: Instant) {
        let _ = self.shared.tracker.wait_for(deadline, |st| {
            (st.batches > before || ended_since(st, ended_before).is_some()).then_some(())
        });
    }

    /// Waits for `expect` in the output since `from`; `None` without `expect`.
    fn await_expect(
        &self,
        expect: Option<&OutputPattern>,
        from: usize,
        deadline: Instant,
    ) -> Result<Option<bool>> {
        let Some(pattern) = expect else {
            return Ok(None);
        };
        let mut watch = Watch::new(Matcher::new(pattern)?, from);
        let seen = self
            .shared
            .tracker
            .wait_for(deadline, |st| watch.check(&st.text).then_some(()));
        Ok(Some(seen.is_ok()))
    }

    /// Stops the running command: Ctrl-C, then SIGTERM, then SIGKILL to the
    /// foreground process group, each given [`super::Timeouts::stop_grace`].
    pub fn stop(&self) -> StopOutcome {
        let (ended_before, shell) = self.shared.tracker.update(|st| {
            st.stops += 1;
            (st.ended, st.shell)
        });
        if !matches!(shell, ShellState::Running | ShellState::Submitted) {
            return StopOutcome::NothingRunning;
        }
        let grace = self.timeouts.stop_grace;
        let ended = || {
            self.shared
                .tracker
                .wait_for(Instant::now() + grace, |st| ended_since(st, ended_before))
                .is_ok()
                || self.shared.tracker.lock().is_gone()
        };
        if self.write(b"\x03").is_ok() && ended() {
            return StopOutcome::Interrupted;
        }
        let Some(group) = self.foreground_group().filter(|g| *g != self.pid()) else {
            return StopOutcome::StillRunning;
        };
        tracing::info!(terminal = %self.name(), group, "Ctrl-C did not stop the step: SIGTERM");
        if stop::signal_group(group, Signal::SIGTERM) && ended() {
            return StopOutcome::Terminated;
        }
        tracing::info!(terminal = %self.name(), group, "SIGTERM did not stop the step: SIGKILL");
        stop::signal_group(group, Signal::SIGKILL);
        if ended() {
            StopOutcome::Killed
        } else {
            StopOutcome::StillRunning
        }
    }
}

fn ended_since(st: &TrackState, ended_before: u64) -> Option<Ended> {
    if st.ended > ended_before {
        st.last_ended
    } else {
        None
    }
}

fn status_of(ended: &Ended, stopped: bool) -> StepStatus {
    match ended.exit_code {
        _ if stopped => StepStatus::Stopped,
        Some(0) => StepStatus::Ok,
        _ => StepStatus::Failed,
    }
}

/// Checks a background step's output (from its `C` mark on, so the typed command's
/// own echo never counts) for its expectation.
fn watch_output(st: &TrackState, watch: &mut Option<Watch>, matcher: Option<&Matcher>) -> bool {
    let Some(matcher) = matcher else {
        return false;
    };
    if st.shell != ShellState::Running {
        return false;
    }
    watch
        .get_or_insert_with(|| Watch::new(matcher.clone(), st.output_from))
        .check(&st.text)
}
