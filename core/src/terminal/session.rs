//! One terminal: an interactive shell in a PTY, with its reader, pipeline and
//! waiter threads. Steps are run on it by [`super::runner`]; this file holds its
//! life: spawn, input, resize, sinks, close.

use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use portable_pty::{native_pty_system, Child, MasterPty, PtySize};

use super::batcher::BatchLimits;
use super::error::{Result, TerminalError};
use super::flow::{FlowControl, FlowLimits, FlowStats};
use super::pipeline::{spawn_pipeline, spawn_reader, Shared};
use super::screen::{Screen, ScreenSnapshot, TermSize};
use super::shell_integration::{Integration, ShellKind};
use super::sink::{Acknowledge, OutputSink, SinkId};
use super::step::StepRequest;
use super::stop::{self, ProcessInfo};
use super::tracker::{ShellState, WaitEnd};
use super::typing::KeyFeed;
use crate::record::redact::Redactor;

/// Time limits of a terminal's steps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// Until the shell shows its first prompt.
    pub startup: Duration,
    /// A step without its own `timeout`: then it is stopped and reported timed out.
    pub step: Duration,
    /// A background step without its own `timeout`: ready when it passes.
    pub background: Duration,
    /// Each stage of Stop (Ctrl-C, SIGTERM, SIGKILL) waits this long for the end.
    pub stop_grace: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            startup: Duration::from_secs(20),
            step: Duration::from_secs(120),
            background: Duration::from_secs(30),
            stop_grace: Duration::from_millis(1500),
        }
    }
}

/// How to start a terminal.
#[derive(Debug, Clone)]
pub struct SessionOptions {
    /// The terminal's name (`main`, `server`, ...).
    pub name: String,
    pub shell: ShellKind,
    /// The shell binary, when not the one found on PATH.
    pub shell_program: Option<PathBuf>,
    /// Read the login files too (see [`Integration::prepare`]).
    pub login: bool,
    /// Working directory (default: the home directory).
    pub cwd: Option<PathBuf>,
    /// Extra environment, on top of the app's own.
    pub env: Vec<(String, String)>,
    pub size: TermSize,
    /// Rows that scrolled off kept by the screen model: as many as a view keeps,
    /// so that a view resynced after skipping frames misses nothing it can scroll
    /// back to (see [`super::frames`]).
    pub scrollback: usize,
    pub batch: BatchLimits,
    pub flow: FlowLimits,
    pub timeouts: Timeouts,
    /// Keep a second screen model masked with these patterns (and with those of
    /// [`Session::set_redaction`] as they change): what a masked view attaching late
    /// starts from ([`Session::attach_masked`]), and what snapshots of a masked
    /// terminal show. `None`: the runbook redacts nothing.
    pub masked_screen: Option<Arc<Redactor>>,
}

impl Default for SessionOptions {
    fn default() -> Self {
        Self {
            name: "main".into(),
            shell: ShellKind::Bash,
            shell_program: None,
            login: true,
            cwd: None,
            env: Vec::new(),
            size: TermSize::default(),
            scrollback: super::screen::VIEW_SCROLLBACK,
            batch: BatchLimits::default(),
            flow: FlowLimits::default(),
            timeouts: Timeouts::default(),
            masked_screen: None,
        }
    }
}

impl SessionOptions {
    pub fn named(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            ..Self::default()
        }
    }
}

/// A live terminal. Share it as `Arc<Session>`: every method takes `&self`, so Stop
/// can come from another thread while a step runs. Dropping it closes it.
pub struct Session {
    pub(crate) shared: Arc<Shared>,
    pid: i32,
    master: Mutex<Box<dyn MasterPty + Send>>,
    writer: Mutex<Box<dyn Write + Send>>,
    threads: Mutex<Vec<JoinHandle<()>>>,
    closed: AtomicBool,
    pub(crate) timeouts: Timeouts,
    /// Key presses for a command typed on keys (`typing: keys`).
    pub(crate) keys: KeyFeed,
    /// The last command run here (not input, not hidden setup): what Restart runs.
    pub(crate) last_run: Mutex<Option<StepRequest>>,
    _integration: Integration,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("name", &self.shared.name)
            .field("pid", &self.pid)
            .finish()
    }
}

fn lock<T: ?Sized>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn pty_size(size: TermSize) -> PtySize {
    PtySize {
        rows: size.rows,
        cols: size.cols,
        pixel_width: 0,
        pixel_height: 0,
    }
}

impl Session {
    /// Starts the shell in a new PTY. Returns at once; see [`Session::wait_ready`].
    pub fn spawn(options: SessionOptions) -> Result<Self> {
        let pair = native_pty_system()
            .openpty(pty_size(options.size))
            .map_err(|e| TerminalError::OpenPty(format!("{e:#}")))?;
        let (integration, mut cmd) = Integration::prepare(
            options.shell,
            options.shell_program.as_deref(),
            options.login,
        )?;
        cmd.env("TERM", "xterm-256color");
        cmd.env("COLORTERM", "truecolor");
        cmd.env("TERM_PROGRAM", "cuedeck");
        cmd.env("CUEDECK_TERMINAL", &options.name);
        for (k, v) in &options.env {
            cmd.env(k, v);
        }
        if let Some(cwd) = &options.cwd {
            cmd.cwd(cwd);
        }
        let shell = format!("{:?}", cmd.get_argv());
        let child = pair
            .slave
            .spawn_command(cmd)
            .map_err(|e| TerminalError::Spawn {
                shell: shell.clone(),
                reason: format!("{e:#}"),
            })?;
        // The slave must go now, or the reader never sees end of file.
        drop(pair.slave);
        let pid = child
            .process_id()
            .and_then(|p| i32::try_from(p).ok())
            .ok_or_else(|| TerminalError::Spawn {
                shell,
                reason: "the shell has no process id".into(),
            })?;
        let open_err = |e: anyhow::Error| TerminalError::OpenPty(format!("{e:#}"));
        let reader = pair.master.try_clone_reader().map_err(open_err)?;
        let writer = pair.master.take_writer().map_err(open_err)?;
        let shared = Arc::new(Shared::new(
            options.name.clone(),
            FlowControl::new(options.flow),
            Screen::new(options.size, options.scrollback),
            options.masked_screen.clone(),
        ));
        let session = Self {
            shared: Arc::clone(&shared),
            pid,
            master: Mutex::new(pair.master),
            writer: Mutex::new(writer),
            threads: Mutex::new(Vec::new()),
            closed: AtomicBool::new(false),
            timeouts: options.timeouts,
            keys: KeyFeed::default(),
            last_run: Mutex::new(None),
            _integration: integration,
        };
        session.start_threads(reader, child, options.batch)?;
        tracing::info!(terminal = %options.name, pid, "terminal started");
        Ok(session)
    }

    fn start_threads(
        &self,
        reader: Box<dyn std::io::Read + Send>,
        child: Box<dyn Child + Send + Sync>,
        batch: BatchLimits,
    ) -> Result<()> {
        let (tx, rx) = std::sync::mpsc::channel();
        let mut threads = lock(&self.threads);
        threads.push(spawn_reader(Arc::clone(&self.shared), reader, tx)?);
        threads.push(spawn_pipeline(Arc::clone(&self.shared), rx, batch)?);
        threads.push(spawn_waiter(Arc::clone(&self.shared), child)?);
        Ok(())
    }

    pub fn name(&self) -> &str {
        &self.shared.name
    }

    /// The shell's pid: also its process group and session id.
    pub fn pid(&self) -> i32 {
        self.pid
    }

    pub fn state(&self) -> ShellState {
        self.shared.tracker.lock().shell
    }

    /// Waits for the shell's first prompt (or its next one).
    pub fn wait_ready(&self, timeout: Duration) -> Result<()> {
        self.wait_at_prompt(Instant::now() + timeout)
    }

    /// Waits until the shell has shown its first prompt, whatever it does since (a
    /// step another thread typed may already run): the terminal is usable.
    pub fn wait_started(&self, timeout: Duration) -> Result<()> {
        let started = Instant::now();
        let waited = self
            .shared
            .tracker
            .wait_for(started + timeout, |st| match st.shell {
                ShellState::Starting => None,
                ShellState::Exited => Some(Err(self.gone_error())),
                _ => Some(Ok(())),
            });
        match waited {
            Ok(result) => result,
            Err(WaitEnd::ShellGone) => Err(self.gone_error()),
            Err(WaitEnd::TimedOut) => Err(TerminalError::NoPrompt {
                terminal: self.shared.name.clone(),
                waited: started.elapsed(),
            }),
        }
    }

    /// Waits until the shell is at a fresh prompt; fails at once if a program runs.
    pub(crate) fn wait_at_prompt(&self, deadline: Instant) -> Result<()> {
        let started = Instant::now();
        let waited = self.shared.tracker.wait_for(deadline, |st| match st.shell {
            ShellState::Ready => Some(Ok(())),
            ShellState::Running => Some(Err(TerminalError::Busy(self.shared.name.clone()))),
            _ => None,
        });
        match waited {
            Ok(r) => r,
            Err(WaitEnd::ShellGone) => Err(self.gone_error()),
            Err(WaitEnd::TimedOut) => Err(TerminalError::NoPrompt {
                terminal: self.shared.name.clone(),
                waited: started.elapsed(),
            }),
        }
    }

    pub(crate) fn gone_error(&self) -> TerminalError {
        if self.closed.load(Ordering::SeqCst) {
            TerminalError::Closed(self.shared.name.clone())
        } else {
            TerminalError::ShellExited(self.shared.name.clone())
        }
    }

    /// Types raw bytes into the terminal (keystrokes from the UI).
    pub fn write(&self, bytes: &[u8]) -> Result<()> {
        let mut w = lock(&self.writer);
        w.write_all(bytes)
            .and_then(|()| w.flush())
            .map_err(|source| TerminalError::Write {
                terminal: self.shared.name.clone(),
                source,
            })
    }

    /// Resizes the PTY (the shell gets SIGWINCH) and the screen model.
    pub fn resize(&self, size: TermSize) -> Result<()> {
        lock(&self.master)
            .resize(pty_size(size))
            .map_err(|e| TerminalError::Resize {
                terminal: self.shared.name.clone(),
                reason: format!("{e:#}"),
            })?;
        self.shared.outputs().resize(size, self.shared.started);
        Ok(())
    }

    /// The PTY's size as the kernel knows it.
    pub fn pty_size(&self) -> Option<TermSize> {
        let size = lock(&self.master).get_size().ok()?;
        Some(TermSize {
            rows: size.rows,
            cols: size.cols,
        })
    }

    /// Attaches a sink; it gets every batch from now on.
    pub fn add_sink(&self, sink: Box<dyn OutputSink>, ack: Acknowledge) -> SinkId {
        self.attach(sink, ack).0
    }

    /// Attaches a sink and returns the screen as it is just before the sink's first
    /// batch: a late-joining window draws the snapshot, then the stream.
    pub fn attach(&self, sink: Box<dyn OutputSink>, ack: Acknowledge) -> (SinkId, ScreenSnapshot) {
        self.join(sink, ack, false)
    }

    /// [`Session::attach`] for a masked view (`sink` masks what it gets): the screen
    /// returned is the masked screen ([`SessionOptions::masked_screen`]) if one is
    /// kept, else the plain one, for the caller to mask.
    pub fn attach_masked(
        &self,
        sink: Box<dyn OutputSink>,
        ack: Acknowledge,
    ) -> (SinkId, ScreenSnapshot) {
        self.join(sink, ack, true)
    }

    fn join(
        &self,
        sink: Box<dyn OutputSink>,
        ack: Acknowledge,
        masked: bool,
    ) -> (SinkId, ScreenSnapshot) {
        let id = self.shared.new_sink_id();
        let mut outputs = self.shared.outputs();
        let acknowledges = ack == Acknowledge::Required;
        if acknowledges {
            self.shared.flow.add_consumer(id.0);
        }
        outputs.add(id, sink, acknowledges && !masked);
        let snapshot = if masked {
            outputs.masked_snapshot()
        } else {
            outputs.screen.snapshot()
        };
        (id, snapshot)
    }

    pub fn detach(&self, id: SinkId) {
        self.shared.outputs().remove(id);
        self.shared.flow.remove_consumer(id.0);
    }

    /// The consumer `id` has rendered `bytes` more bytes of output.
    pub fn ack(&self, id: SinkId, bytes: usize) {
        self.shared.flow.ack(id.0, bytes);
    }

    /// From now on every sink that redacts masks this terminal's output with
    /// `redactor` (a block whose whole output is masked starts, or it ended). Sent
    /// in order with the output: what the sinks got before is redacted as before.
    pub fn set_redaction(&self, redactor: &Arc<Redactor>) {
        self.shared.outputs().redaction(redactor);
    }

    /// The redaction last set with [`Session::set_redaction`], if any: a window
    /// attaching late masks the screen it starts from with it.
    pub fn redaction(&self) -> Option<Arc<Redactor>> {
        self.shared.outputs().current_redaction()
    }

    /// Sends a labelled marker to every sink (a step's start or end, for recordings).
    pub fn mark(&self, label: &str) {
        self.shared.outputs().marker(label, self.shared.started);
    }

    /// Shows recorded output in this terminal as if the PTY had printed it: the
    /// screen model and every sink (the window, a recorder) get it. The shell never
    /// sees it, and the terminal's shell state is not touched.
    pub fn show_recorded(&self, bytes: &[u8]) {
        let flow = &self.shared.flow;
        let failed = self
            .shared
            .outputs()
            .deliver(bytes, self.shared.started, flow);
        for id in failed {
            flow.remove_consumer(id.0);
        }
    }

    pub fn snapshot(&self) -> ScreenSnapshot {
        self.shared.outputs().screen.snapshot()
    }

    /// The screen as a masked view shows it (see [`Session::attach_masked`]).
    pub fn masked_snapshot(&self) -> ScreenSnapshot {
        self.shared.outputs().masked_snapshot()
    }

    /// The last part of the terminal's output as plain text (up to 256 KiB).
    pub fn recent_text(&self) -> String {
        let st = self.shared.tracker.lock();
        st.text.since(0).0.to_string()
    }

    /// How long the terminal has printed nothing (since it started, if never).
    pub fn quiet_for(&self) -> Duration {
        let st = self.shared.tracker.lock();
        st.last_output.unwrap_or(self.shared.started).elapsed()
    }

    /// Where the terminal's text ends now: a position for [`Session::text_since`].
    pub fn text_end(&self) -> usize {
        self.shared.tracker.lock().text.end()
    }

    /// The terminal's plain text from position `from` on (what it printed since).
    pub fn text_since(&self, from: usize) -> String {
        self.shared.tracker.lock().text.since(from).0.to_string()
    }

    pub fn flow_stats(&self) -> FlowStats {
        self.shared.flow.stats()
    }

    /// The live processes of this terminal's session (the shell included).
    pub fn processes(&self) -> Vec<ProcessInfo> {
        stop::session_processes(self.pid)
    }

    /// The process group in the foreground of the terminal (the shell's when idle).
    pub fn foreground_group(&self) -> Option<i32> {
        lock(&self.master).process_group_leader()
    }

    /// Ends every process of the terminal and its threads. Idempotent. Returns how
    /// many processes survived (0 unless one escaped SIGKILL).
    pub fn close(&self) -> usize {
        if self.closed.swap(true, Ordering::SeqCst) {
            return 0;
        }
        self.shared.flow.close();
        let left = stop::kill_session(self.pid, self.timeouts.stop_grace);
        let deadline = Instant::now() + Duration::from_secs(3);
        let drained = self.shared.tracker.wait_until(deadline, |st| {
            (st.eof && st.shell == ShellState::Exited).then_some(())
        });
        let threads = std::mem::take(&mut *lock(&self.threads));
        if drained.is_some() {
            for t in threads {
                if t.join().is_err() {
                    tracing::error!(terminal = %self.shared.name, "a terminal thread panicked");
                }
            }
        } else {
            tracing::warn!(terminal = %self.shared.name, "terminal threads left running after close");
        }
        tracing::info!(terminal = %self.shared.name, left, "terminal closed");
        left
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        self.close();
    }
}

/// Reaps the shell on its own thread; records its exit.
fn spawn_waiter(
    shared: Arc<Shared>,
    mut child: Box<dyn Child + Send + Sync>,
) -> Result<JoinHandle<()>> {
    std::thread::Builder::new()
        .name(format!("pty-wait-{}", shared.name))
        .spawn(move || {
            let code = match child.wait() {
                Ok(status) => status.exit_code(),
                Err(e) => {
                    tracing::warn!(terminal = %shared.name, error = %e, "waiting for the shell failed");
                    u32::MAX
                }
            };
            tracing::debug!(terminal = %shared.name, code, "shell exited");
            shared.tracker.update(|st| {
                st.shell = ShellState::Exited;
                st.shell_exit = Some(code);
            });
        })
        .map_err(TerminalError::Thread)
}
