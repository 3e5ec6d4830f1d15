//! Running steps on a [`Session`]: commands typed as one bracketed paste (or
//! visibly, see `typing`) at a fresh prompt and followed to their `D` mark,
//! background long-runners and interactive programs followed to readiness (see
//! `readiness`), input lines and control keys typed into a running program, hidden
//! setup lines run with their output muted, Stop, and Restart.

use std::time::{Duration, Instant};

use nix::sys::signal::Signal;
use serde::Serialize;

use crate::runbook::{OutputPattern, Typing};
use crate::shorten;

use super::error::{Result, TerminalError};
use super::readiness::{self, Signals};
use super::session::Session;
use super::step::{
    millis, CommandOutcome, InputItem, ReadyBy, StepAction, StepOutcome, StepRequest, StepStatus,
};
use super::stop;
use super::text::{Matcher, Watch};
use super::tracker::{Ended, ShellState, TrackState, WaitEnd};
use super::typing::Typed;

const PASTE_START: &[u8] = b"\x1b[200~";
const PASTE_END: &[u8] = b"\x1b[201~";
/// Without a prompt to wait for, an input line waits at most this long for its echo.
const ECHO_WAIT: Duration = Duration::from_secs(2);
/// After the last input line, how long its answer (the prompt back) is waited for.
const ANSWER_WAIT: Duration = Duration::from_secs(10);
/// Without a prompt, the program waits again once its output is quiet this long.
const INPUT_SETTLE: Duration = Duration::from_millis(150);
/// How the marker a hidden setup command leaves in the recording begins.
pub const HIDDEN_SETUP_MARKER: &str = "hidden setup";
/// How much of a hidden setup command's output its marker in the recording keeps.
const HIDDEN_OUTPUT_KEPT: usize = 2048;

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
        if req.types_a_command() {
            *self.last_run.lock().unwrap_or_else(|e| e.into_inner()) = Some(req.clone());
        }
        let outcome = match &req.action {
            StepAction::Commands(cmds) => self.run_commands(cmds, req),
            StepAction::Background(cmd) | StepAction::Interactive(cmd) => {
                self.run_long_runner(cmd, req)
            }
            StepAction::Input { lines, prompt } => self.run_input(lines, prompt.as_deref(), req),
            StepAction::Hidden(cmds) => self.run_hidden(cmds, req),
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
            let outcome = self.run_command_typed(cmd, req.typing, deadline)?;
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
        self.run_command_typed(command, None, deadline)
    }

    fn run_command_typed(
        &self,
        command: &str,
        typing: Option<Typing>,
        deadline: Instant,
    ) -> Result<CommandOutcome> {
        self.wait_at_prompt(deadline)?;
        let (ended_before, stops_before) = self.submit_typed(command, typing, deadline)?;
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

    /// Types `command` as `typing` says (pasted at once without it), then Enter.
    /// Stopped while typing, it presses no Enter: Stop's Ctrl-C drops the line.
    fn submit_typed(
        &self,
        command: &str,
        typing: Option<Typing>,
        deadline: Instant,
    ) -> Result<(u64, u64)> {
        let Some(typing) = typing else {
            return self.submit(command);
        };
        let text = command.replace("\r\n", "\n");
        let text = text.trim_end_matches('\n');
        let counts = self.shared.tracker.update(|st| {
            st.submit();
            (st.ended, st.stops)
        });
        let stopped = || self.shared.tracker.lock().stops > counts.1;
        tracing::debug!(terminal = %self.name(), command, ?typing, "typing step visibly");
        if self.type_visibly(text, typing, deadline, stopped)? == Typed::Done && !stopped() {
            self.write(b"\r")?;
        } else if !stopped() {
            // Out of time before it was typed: drop the line, as Stop would.
            self.stop();
        }
        Ok(counts)
    }

    /// A background long-runner or an interactive program: typed at a fresh prompt,
    /// followed until it is ready (see [`readiness`]) and left running.
    fn run_long_runner(&self, cmd: &str, req: &StepRequest) -> Result<StepOutcome> {
        let mut signals = Signals::for_request(req)?;
        let expecting = req.expect.is_some();
        self.wait_at_prompt(Instant::now() + self.timeouts.step)?;
        let deadline = self.deadline(req, self.timeouts.background);
        let (ended_before, _) = self.submit_typed(cmd, req.typing, deadline)?;
        let started = Instant::now();
        let ready = self.await_ready(&mut signals, ended_before, deadline);
        let mut outcome = self.outcome(StepStatus::Ready, started);
        outcome.expectation_met = expecting.then_some(true);
        match ready {
            Ok(Ok(by)) => {
                tracing::info!(terminal = %self.name(), command = cmd, ready = %by.describe(), "long-runner ready");
                outcome.ready_by = Some(by);
            }
            Err(WaitEnd::TimedOut) => {
                outcome.ready_by = Some(ReadyBy::Timeout);
                outcome.expectation_met = expecting.then_some(false);
            }
            Err(WaitEnd::ShellGone) => return Err(self.gone_error()),
            Ok(Err(ended)) => {
                outcome.exit_code = ended.exit_code;
                outcome.expectation_met = expecting.then_some(false);
                let interactive = matches!(req.action, StepAction::Interactive(_));
                if ended.exit_code == Some(0) && !expecting && !interactive {
                    outcome.status = StepStatus::Ok;
                } else {
                    outcome.status = StepStatus::Failed;
                    let what = if interactive {
                        "exited before it waited for input"
                    } else {
                        "exited before it was ready"
                    };
                    outcome.message = Some(self.why_it_ended(what, &ended));
                }
            }
        }
        Ok(outcome)
    }

    /// "exited before it was ready: node 3: cannot listen on …": the program's last
    /// line says why, where the presenter would have looked (the exit code is
    /// reported beside the message).
    fn why_it_ended(&self, what: &str, ended: &Ended) -> String {
        let (printed, _) = self
            .shared
            .tracker
            .lock()
            .text_between(ended.output_from, ended.output_to);
        match printed.lines().rev().map(str::trim).find(|l| !l.is_empty()) {
            Some(last) => format!("{what}: {}", shorten(last)),
            None => what.to_string(),
        }
    }

    /// Waits for the first readiness signal: the output ones at each batch and
    /// every [`readiness::POLL`], the ports at each poll. `Ok(Err(_))`: it ended.
    fn await_ready(
        &self,
        signals: &mut Signals,
        ended_before: u64,
        deadline: Instant,
    ) -> std::result::Result<std::result::Result<ReadyBy, Ended>, WaitEnd> {
        let shell = self.pid();
        loop {
            let poll = readiness::next_poll(deadline);
            let waited = self.shared.tracker.wait_for(poll, |st| {
                if let Some(e) = ended_since(st, ended_before) {
                    return Some(Err(e));
                }
                signals
                    .check_output(st, || self.shared.outputs().screen.text_before_cursor())
                    .map(Ok)
            });
            match waited {
                Err(WaitEnd::TimedOut) => {}
                other => return other,
            }
            let processes = || {
                self.processes()
                    .into_iter()
                    .map(|p| p.pid)
                    .filter(|p| *p != shell)
                    .collect()
            };
            if let Some(port) = signals.check_ports(processes) {
                return Ok(Ok(ReadyBy::Port(port)));
            }
            if Instant::now() >= deadline {
                return Err(WaitEnd::TimedOut);
            }
        }
    }

    /// Hidden setup commands: run one after the other with the terminal's output
    /// muted (the screen, the views and the recording never see them), each noted
    /// in the recording as a marker with its exit code and output. The output
    /// reaches the presenter only through the outcome, when one fails.
    fn run_hidden(&self, cmds: &[String], req: &StepRequest) -> Result<StepOutcome> {
        let started = Instant::now();
        let deadline = self.deadline(req, self.timeouts.step);
        self.wait_at_prompt(deadline)?;
        self.shared
            .muted
            .store(true, std::sync::atomic::Ordering::SeqCst);
        let ran = self.run_hidden_muted(cmds, deadline);
        // Back at a prompt (or given up): what follows is shown again.
        let _ = self.wait_at_prompt(Instant::now().max(deadline.min(Instant::now() + ECHO_WAIT)));
        self.shared
            .muted
            .store(false, std::sync::atomic::Ordering::SeqCst);
        let outcomes = ran?;
        let mut outcome = self.outcome(StepStatus::Ok, started);
        if let Some(failed) = outcomes.iter().find(|o| o.status != StepStatus::Ok) {
            outcome.status = failed.status;
            outcome.exit_code = failed.exit_code;
            outcome.message = Some(format!(
                "hidden setup line `{}` failed (exit {}): {}",
                failed.command,
                failed
                    .exit_code
                    .map_or_else(|| "none".into(), |c| c.to_string()),
                failed.output.trim()
            ));
        }
        outcome.commands = outcomes;
        Ok(outcome)
    }

    fn run_hidden_muted(&self, cmds: &[String], deadline: Instant) -> Result<Vec<CommandOutcome>> {
        let mut outcomes = Vec::new();
        for cmd in cmds.iter().filter(|c| !c.trim().is_empty()) {
            let outcome = self.run_command_until(cmd, deadline)?;
            self.mark(&hidden_marker(&outcome));
            let ok = outcome.status == StepStatus::Ok;
            outcomes.push(outcome);
            if !ok {
                break;
            }
        }
        Ok(outcomes)
    }

    /// Runs the last command run in this terminal again (a restarted node, a
    /// reconnected client), stopping what runs first. Typed at once, never on keys.
    pub fn restart(&self) -> Result<StepOutcome> {
        let last = self
            .last_run
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
            .ok_or_else(|| TerminalError::NothingToRestart(self.name().to_string()))?;
        if self.state() == ShellState::Running {
            self.stop();
        }
        let mut again = last;
        again.typing = None;
        again.label = again.label.map(|l| format!("{l} (restarted)"));
        tracing::info!(terminal = %self.name(), "restarting the last command");
        self.run(&again)
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
        lines: &[InputItem],
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
        for item in lines {
            let line = match item {
                InputItem::Control(key) => {
                    let ended = self.send_control(*key, ended_before);
                    if !ended && *key == 'c' {
                        outcome.message = Some("still running after Ctrl-C".into());
                    }
                    typed_at = None;
                    continue;
                }
                InputItem::Line(line) => line,
            };
            if let Err(e) = self.await_line_turn(prompt, typed_at, ended_before, deadline) {
                outcome.status = e.0;
                outcome.message = Some(e.1);
                break;
            }
            typed_at = Some(self.type_line(line)?);
        }
        if let (StepStatus::Ok, Some(typed_at)) = (outcome.status, typed_at) {
            // The answer to the last line: the program waits again (its prompt is
            // back), or at least echoed and went quiet.
            let soon = deadline.min(Instant::now() + ANSWER_WAIT);
            if self
                .await_line_turn(prompt, Some(typed_at), ended_before, soon)
                .is_err()
            {
                self.await_echo(typed_at, ended_before, soon);
            }
            outcome.expectation_met = self.await_expect(req.expect.as_ref(), from, deadline)?;
        }
        outcome.duration_ms = millis(started.elapsed());
        Ok(outcome)
    }

    /// Sends a control key (`^C`: 'c'). For Ctrl-C and Ctrl-\\, waits (up to the
    /// stop grace) for the program to end; returns whether it ended.
    fn send_control(&self, key: char, ended_before: u64) -> bool {
        let byte = match key {
            '\\' => 0x1c,
            k if k.is_ascii_alphabetic() => (k.to_ascii_lowercase() as u8) - b'a' + 1,
            _ => return false,
        };
        if self.write(&[byte]).is_err() {
            return false;
        }
        if !matches!(key, 'c' | '\\' | 'd') {
            return true;
        }
        let grace = Instant::now() + self.timeouts.stop_grace;
        self.shared
            .tracker
            .wait_for(grace, |st| ended_since(st, ended_before))
            .is_ok()
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
            let soon = deadline.min(Instant::now() + ECHO_WAIT);
            self.await_echo(t, ended_before, soon);
            self.await_quiet(INPUT_SETTLE, soon);
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

    /// Waits until no output came for `quiet` (or `deadline` passes).
    fn await_quiet(&self, quiet: Duration, deadline: Instant) {
        loop {
            let last = self.shared.tracker.lock().last_output;
            let since = last.map_or(quiet, |t| t.elapsed());
            if since >= quiet || Instant::now() >= deadline {
                return;
            }
            std::thread::sleep((quiet - since).min(deadline - Instant::now()));
        }
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
        self.keys.abort();
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

/// The marker a hidden setup command leaves in the recording instead of its output.
fn hidden_marker(outcome: &CommandOutcome) -> String {
    let mut output = outcome.output.trim().to_string();
    if output.len() > HIDDEN_OUTPUT_KEPT {
        let mut cut = HIDDEN_OUTPUT_KEPT;
        while !output.is_char_boundary(cut) {
            cut -= 1;
        }
        output.truncate(cut);
        output.push('…');
    }
    let exit = outcome
        .exit_code
        .map_or_else(|| "none".into(), |c| c.to_string());
    format!(
        "{HIDDEN_SETUP_MARKER} (exit {exit}): {}\n{output}",
        outcome.command
    )
}
