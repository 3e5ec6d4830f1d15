//! The window's terminals: commands over core's [`TerminalManager`] for the open
//! runbook. Output reaches the UI as raw byte batches on a `Channel` (one send per
//! batch); the UI acknowledges what xterm.js rendered, which paces the PTY reader.
//! Every terminal closes when another runbook opens and when the app exits.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use cuedeck_core::record::live_redact::redacting_sink_always;
use cuedeck_core::record::redact::{redact_bytes, Redactor};
use cuedeck_core::runbook::{CodeBlock, Runbook, Typing};
use cuedeck_core::show::block::{self, BlockProgress, TypingPolicy};
use cuedeck_core::show::gate::GateRefused;
use cuedeck_core::show::state::{Show, ShowCommand};
use cuedeck_core::show::terminals::session_options;
use cuedeck_core::terminal::{
    Acknowledge, OutputSink, Session, ShellState, SinkId, StepAction, StepRequest, StepStatus,
    TermSize, TerminalManager,
};
use cuedeck_core::trust::{self, TrustSheet};
use serde::Serialize;
use tauri::ipc::{Channel, InvokeResponseBody, Response};
use tauri::State;

/// Why a terminal command failed, for the UI to show.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TerminalError {
    pub message: String,
}

impl TerminalError {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
        }
    }
}

impl From<cuedeck_core::terminal::TerminalError> for TerminalError {
    fn from(e: cuedeck_core::terminal::TerminalError) -> Self {
        Self::new(e.to_string())
    }
}

/// A block's progress, as its badge shows it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BlockStatus {
    pub block_id: String,
    pub state: BlockState,
    pub exit_code: Option<i32>,
    pub duration_ms: u64,
    pub message: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum BlockState {
    Running,
    /// Waiting at its gate for its services (`waitFor`): nothing typed yet.
    Gated,
    /// A background block is started and waited on for readiness.
    Waiting,
    /// A command waits for the presenter's keys to be typed (`typing: keys`).
    Typing,
    Ready,
    Ok,
    Failed,
    TimedOut,
    Stopped,
}

impl From<StepStatus> for BlockState {
    fn from(s: StepStatus) -> Self {
        match s {
            StepStatus::Ok => Self::Ok,
            StepStatus::Failed => Self::Failed,
            StepStatus::TimedOut => Self::TimedOut,
            StepStatus::Stopped => Self::Stopped,
            StepStatus::Ready => Self::Ready,
        }
    }
}

/// The open runbook's terminals and the views attached to them.
#[derive(Default)]
pub struct Terminals {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    path: Option<PathBuf>,
    runbook: Option<Arc<Runbook>>,
    manager: Option<Arc<TerminalManager>>,
    views: HashMap<String, SinkId>,
    /// The presenter's masked views: their acks go through the bridge.
    bridges: HashMap<String, Arc<AckBridge>>,
    /// The audience window's view of each terminal (read-only, redacted, unpaced).
    audience_views: HashMap<String, SinkId>,
    /// The cancel flag of each block waiting at its gate, by block id.
    gates: HashMap<String, Arc<AtomicBool>>,
    /// The open runbook's trust sheet (its digest, and what it may never do).
    sheet: Option<TrustSheet>,
    /// The digest the presenter trusted for the open runbook, if any.
    trusted: Option<String>,
}

impl Terminals {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Makes `runbook` the one whose blocks run. Another file gets fresh terminals
    /// (the old ones close on a worker thread); a reload of the same file keeps them.
    pub fn set_runbook(&self, path: &Path, runbook: &Runbook) {
        let mut inner = self.lock();
        if inner.path.as_deref() != Some(path) {
            let old = inner.manager.take();
            inner.views.clear();
            inner.bridges.clear();
            inner.audience_views.clear();
            inner.path = Some(path.to_path_buf());
            inner.manager = Some(Arc::new(TerminalManager::new(session_options(
                runbook, path,
            ))));
            if let Some(old) = old {
                std::thread::spawn(move || old.close_all());
            }
        }
        inner.runbook = Some(Arc::new(runbook.clone()));
        inner.sheet = Some(trust::sheet(runbook, path));
    }

    /// The open runbook's trust sheet.
    pub(crate) fn sheet(&self) -> Result<TrustSheet, TerminalError> {
        self.lock()
            .sheet
            .clone()
            .ok_or_else(|| TerminalError::new("no runbook is open"))
    }

    /// The presenter trusts the open runbook as `digest` says (`None`: not, or no more).
    pub(crate) fn set_trusted(&self, digest: Option<String>) {
        self.lock().trusted = digest;
    }

    /// The terminals, to run something of the open runbook in: only once the
    /// presenter trusted it as it is now, and never when it asks for what no
    /// runbook may do. Every command that starts a shell or types into one for
    /// the runbook comes through here.
    pub(crate) fn runner(&self) -> Result<Arc<TerminalManager>, TerminalError> {
        {
            let inner = self.lock();
            let sheet = inner
                .sheet
                .as_ref()
                .ok_or_else(|| TerminalError::new("no runbook is open"))?;
            if !sheet.blocked.is_empty() {
                return Err(TerminalError::new(format!(
                    "nothing runs: {}",
                    sheet.refusals().join("; ")
                )));
            }
            if inner.trusted.as_deref() != Some(sheet.digest.as_str()) {
                return Err(TerminalError::new(format!(
                    "nothing runs until you trust {}: its trust sheet lists what it would run",
                    sheet.path.display()
                )));
            }
        }
        self.manager()
    }

    /// Every started terminal: its name and its shell's pid (= its session id).
    pub fn sessions(&self) -> Vec<(String, i32)> {
        let Some(manager) = self.lock().manager.clone() else {
            return Vec::new();
        };
        manager
            .names()
            .into_iter()
            .filter_map(|name| Some((name.clone(), manager.get(&name)?.pid())))
            .collect()
    }

    /// Closes every terminal; returns how many processes survived.
    pub fn close_all(&self) -> usize {
        let manager = self.lock().manager.take();
        manager.map_or(0, |m| m.close_all())
    }

    /// The open runbook and its path.
    pub(crate) fn runbook(&self) -> Result<(PathBuf, Arc<Runbook>), TerminalError> {
        let inner = self.lock();
        match (&inner.path, &inner.runbook) {
            (Some(p), Some(rb)) => Ok((p.clone(), Arc::clone(rb))),
            _ => Err(TerminalError::new("no runbook is open")),
        }
    }

    /// Gives up on the live run of these blocks: gates stop waiting (nothing is
    /// typed), and the terminals where one of them still runs a program are stopped
    /// (on a worker thread: Stop may take its grace periods). Returns at once.
    pub(crate) fn cancel_live(&self, block_ids: &[String], terminals: &[String]) {
        let Ok(manager) = self.manager() else {
            return;
        };
        for id in block_ids {
            if let Some(flag) = self.lock().gates.get(id) {
                flag.store(true, Ordering::Relaxed);
            }
        }
        let busy: Vec<Arc<Session>> = terminals
            .iter()
            .filter_map(|t| manager.get(t))
            .filter(|s| matches!(s.state(), ShellState::Running | ShellState::Submitted))
            .collect();
        if !busy.is_empty() {
            std::thread::spawn(move || {
                for session in busy {
                    let outcome = session.stop();
                    tracing::info!(terminal = %session.name(), ?outcome, "live step stopped for playback");
                }
            });
        }
    }

    pub(crate) fn manager(&self) -> Result<Arc<TerminalManager>, TerminalError> {
        self.lock()
            .manager
            .clone()
            .ok_or_else(|| TerminalError::new("no runbook is open"))
    }

    fn session(&self, name: &str) -> Result<Arc<Session>, TerminalError> {
        self.manager()?
            .get(name)
            .ok_or_else(|| TerminalError::new(format!("terminal `{name}` is not started")))
    }

    fn block(&self, id: &str) -> Result<CodeBlock, TerminalError> {
        let runbook = self.lock().runbook.clone();
        runbook
            .and_then(|rb| {
                rb.steps
                    .iter()
                    .flat_map(|s| &s.blocks)
                    .find(|b| b.id == id)
                    .cloned()
            })
            .ok_or_else(|| TerminalError::new(format!("no block `{id}` in the open runbook")))
    }
}

/// Runs `work` on the blocking pool: commands that touch files, PTYs or processes.
pub(crate) async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, TerminalError> + Send + 'static,
) -> Result<T, TerminalError> {
    tauri::async_runtime::spawn_blocking(work)
        .await
        .map_err(|e| TerminalError::new(format!("worker thread failed: {e}")))?
}

/// Tells the show which terminals run now (the audience tiles those of the step shown).
pub(crate) fn publish_started(show: &Show, terminals: &Terminals) {
    let names = terminals
        .sessions()
        .into_iter()
        .map(|(name, _)| name)
        .collect();
    crate::show::apply(show, ShowCommand::Terminals { names });
}

/// Starts terminal `name` if needed and streams its output to `output`. Returns the
/// bytes that redraw its current screen, which the view writes before the stream.
#[tauri::command]
pub async fn terminal_attach(
    terminals: State<'_, Arc<Terminals>>,
    show: State<'_, Arc<Show>>,
    name: String,
    cols: u16,
    rows: u16,
    output: Channel<InvokeResponseBody>,
) -> Result<Response, TerminalError> {
    let terminals = Arc::clone(&terminals);
    let show = Arc::clone(&show);
    blocking(move || {
        let session = terminals.runner()?.session(&name)?;
        publish_started(&show, &terminals);
        session.resize(TermSize { rows, cols })?;
        let sink = move |bytes: &[u8]| {
            if let Err(e) = output.send(InvokeResponseBody::Raw(bytes.to_vec())) {
                tracing::warn!("terminal output lost on its way to the window: {e}");
            }
        };
        let (_, runbook) = terminals.runbook()?;
        // Masked for the presenter too unless the runbook says `redact_presenter: false`.
        let masked = runbook.front_matter.redacts_presenter() && Redactor::wanted_by(&runbook);
        let (sink, redactor, bridge) = if masked {
            let redactor = view_redactor(&runbook, &session);
            let bridge = Arc::new(AckBridge::default());
            let sink = redacting_sink_always(Arc::clone(&redactor), Box::new(sink));
            let counted: Box<dyn OutputSink> = Box::new(Counted {
                bridge: Arc::clone(&bridge),
                inner: sink,
            });
            (counted, Some(redactor), Some(bridge))
        } else {
            (Box::new(sink) as Box<dyn OutputSink>, None, None)
        };
        let (id, snapshot) = if masked {
            session.attach_masked(sink, Acknowledge::Required)
        } else {
            session.attach(sink, Acknowledge::Required)
        };
        let mut inner = terminals.lock();
        match bridge {
            Some(b) => inner.bridges.insert(name.clone(), b),
            None => inner.bridges.remove(&name),
        };
        if let Some(old) = inner.views.insert(name, id) {
            session.detach(old);
        }
        drop(inner);
        Ok(Response::new(match redactor {
            Some(r) => redact_bytes(&r, &snapshot.redraw),
            None => snapshot.redraw,
        }))
    })
    .await
}

/// The audience window's view of terminal `name`, already started by the presenter:
/// its output with every `redact` match masked (the screen redraw too). It does not
/// pace the PTY (the presenter's view does), and it never starts a terminal.
#[tauri::command]
pub async fn audience_terminal_attach(
    terminals: State<'_, Arc<Terminals>>,
    name: String,
    output: Channel<InvokeResponseBody>,
) -> Result<Response, TerminalError> {
    attach_redacted(&terminals, name, output).await
}

pub(crate) async fn attach_redacted(
    terminals: &Arc<Terminals>,
    name: String,
    output: Channel<InvokeResponseBody>,
) -> Result<Response, TerminalError> {
    let terminals = Arc::clone(terminals);
    blocking(move || {
        let session = terminals.session(&name)?;
        let (_, runbook) = terminals.runbook()?;
        let redactor = view_redactor(&runbook, &session);
        let sink = move |bytes: &[u8]| {
            if let Err(e) = output.send(InvokeResponseBody::Raw(bytes.to_vec())) {
                tracing::warn!("terminal output lost on its way to the audience: {e}");
            }
        };
        let sink = if Redactor::wanted_by(&runbook) {
            redacting_sink_always(Arc::clone(&redactor), Box::new(sink))
        } else {
            Box::new(sink)
        };
        let (id, snapshot) = session.attach_masked(sink, Acknowledge::Never);
        if let Some(old) = terminals.lock().audience_views.insert(name, id) {
            session.detach(old);
        }
        Ok(Response::new(redact_bytes(&redactor, &snapshot.redraw)))
    })
    .await
}

/// What masks a window's view of `session`: the runbook's patterns, and the whole
/// output while a `{"redact": true}` block runs there (a view attached late too).
fn view_redactor(runbook: &Runbook, session: &Session) -> Arc<Redactor> {
    let base = Redactor::for_runbook(runbook);
    Arc::new(match session.redaction() {
        Some(now) => base.union(&now),
        None => base,
    })
}

/// The presenter's masked view acknowledges the bytes it rendered, which masking
/// made a little fewer or more than the terminal printed (a mask is one byte per
/// character). The flow control counts what was printed: the view's counts pass
/// through as they are, never beyond what was printed, so the terminal is paced by
/// the view as without masking, and no ack is owed forever for more than the bytes
/// masking removed.
#[derive(Debug, Default)]
struct AckBridge {
    /// Bytes the terminal printed to the view (before masking).
    fed: std::sync::atomic::AtomicUsize,
    /// Bytes acknowledged to the flow control.
    acked: std::sync::atomic::AtomicUsize,
}

impl AckBridge {
    /// The view rendered `n` more bytes: how many printed bytes that acknowledges.
    fn ack(&self, n: usize) -> usize {
        let fed = self.fed.load(Ordering::SeqCst);
        let before = self.acked.load(Ordering::SeqCst);
        let after = before.saturating_add(n).min(fed);
        self.acked.store(after, Ordering::SeqCst);
        after - before
    }
}

/// Counts what the terminal prints to a masked view, before the masking.
struct Counted {
    bridge: Arc<AckBridge>,
    inner: Box<dyn OutputSink>,
}

impl OutputSink for Counted {
    fn on_output(&mut self, bytes: &[u8], at: std::time::Duration) {
        self.bridge.fed.fetch_add(bytes.len(), Ordering::SeqCst);
        self.inner.on_output(bytes, at);
    }

    fn on_marker(&mut self, label: &str, at: std::time::Duration) {
        self.inner.on_marker(label, at);
    }

    fn on_resize(&mut self, size: TermSize, at: std::time::Duration) {
        self.inner.on_resize(size, at);
    }

    fn on_redaction(&mut self, redactor: &Arc<Redactor>) {
        self.inner.on_redaction(redactor);
    }
}

/// The view rendered `bytes` more of terminal `name`'s output.
#[tauri::command]
pub fn terminal_ack(
    terminals: State<'_, Arc<Terminals>>,
    name: String,
    bytes: usize,
) -> Result<(), TerminalError> {
    let (id, bridge) = {
        let inner = terminals.lock();
        (
            inner.views.get(&name).copied(),
            inner.bridges.get(&name).cloned(),
        )
    };
    if let Some(id) = id {
        let bytes = bridge.map_or(bytes, |b| b.ack(bytes));
        terminals.session(&name)?.ack(id, bytes);
    }
    Ok(())
}

/// Keys the presenter typed into terminal `name`. While a command there is typed
/// on keys (`typing: keys`), each key types its next characters instead.
#[tauri::command]
pub async fn terminal_input(
    terminals: State<'_, Arc<Terminals>>,
    name: String,
    data: String,
) -> Result<(), TerminalError> {
    let session = terminals.session(&name)?;
    blocking(move || {
        if !session.press_key(data.as_bytes()) {
            session.write(data.as_bytes())?;
        }
        Ok(())
    })
    .await
}

/// A key the presenter pressed outside the terminals while a block of terminal
/// `name` types on keys: it types the command's next characters (waiting a moment
/// for the command to be ready for keys). Returns whether it was taken.
#[tauri::command]
pub async fn terminal_type_key(
    terminals: State<'_, Arc<Terminals>>,
    name: String,
    data: String,
) -> Result<bool, TerminalError> {
    let session = terminals.session(&name)?;
    blocking(move || Ok(session.press_key_for_typing(data.as_bytes(), KEY_WAIT))).await
}

/// How long a key pressed for typing waits for its command to be ready for keys.
const KEY_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

/// Runs the last command of terminal `name` again (a restarted node), stopping what
/// runs there first; returns what made it ready, or why it failed.
#[tauri::command]
pub async fn restart_terminal(
    terminals: State<'_, Arc<Terminals>>,
    name: String,
) -> Result<BlockStatus, TerminalError> {
    let manager = terminals.runner()?;
    blocking(move || {
        let started = Instant::now();
        let outcome = manager.restart(&name)?;
        let message = outcome
            .ready_by
            .as_ref()
            .map(|r| r.describe())
            .or(outcome.message.clone());
        Ok(BlockStatus {
            block_id: String::new(),
            state: outcome.status.into(),
            exit_code: outcome.exit_code,
            duration_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
            message,
        })
    })
    .await
}

#[tauri::command]
pub fn terminal_resize(
    terminals: State<'_, Arc<Terminals>>,
    name: String,
    cols: u16,
    rows: u16,
) -> Result<(), TerminalError> {
    Ok(terminals.session(&name)?.resize(TermSize { rows, cols })?)
}

/// Runs block `block_id` of the open runbook, reporting its progress on `on_status`:
/// its gate, then all its terminals at once (core's `show::block`), then how it
/// ended and what made it ready ("ready: port 8080").
#[tauri::command]
pub async fn run_block(
    terminals: State<'_, Arc<Terminals>>,
    block_id: String,
    on_status: Channel<BlockStatus>,
) -> Result<(), TerminalError> {
    let block = terminals.block(&block_id)?;
    let (_, runbook) = terminals.runbook()?;
    let step = runbook
        .steps
        .iter()
        .find(|s| s.blocks.iter().any(|b| b.id == block_id))
        .cloned()
        .ok_or_else(|| TerminalError::new(format!("no block `{block_id}` in the open runbook")))?;
    let manager = terminals.runner()?;
    let terminals = Arc::clone(&terminals);
    blocking(move || {
        let reporter = StatusReporter {
            block_id: block_id.clone(),
            started: Instant::now(),
            channel: on_status,
        };
        let cancel = Arc::new(AtomicBool::new(false));
        terminals
            .lock()
            .gates
            .insert(block_id.clone(), Arc::clone(&cancel));
        let report = block::run_block(
            &manager,
            &runbook,
            &step,
            &block,
            TypingPolicy::AsWritten,
            &cancel,
            &reporter,
        );
        terminals.lock().gates.remove(&block_id);
        match &report.gate {
            Err(GateRefused::Cancelled) => {
                let why = GateRefused::Cancelled.to_string();
                reporter.report(BlockState::Stopped, None, Some(why));
            }
            Err(why) => reporter.report(BlockState::TimedOut, None, Some(why.to_string())),
            Ok(_) => {
                let deciding = report.deciding();
                let state = deciding.map_or(BlockState::Ok, |o| o.status.into());
                let exit_code = deciding.and_then(|o| o.exit_code);
                reporter.report(state, exit_code, report.summary());
            }
        }
        Ok(())
    })
    .await
}

/// Sends a block's progress to its badge.
struct StatusReporter {
    block_id: String,
    started: Instant,
    channel: Channel<BlockStatus>,
}

impl StatusReporter {
    fn report(&self, state: BlockState, exit_code: Option<i32>, message: Option<String>) {
        let status = BlockStatus {
            block_id: self.block_id.clone(),
            state,
            exit_code,
            duration_ms: u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX),
            message,
        };
        if let Err(e) = self.channel.send(status) {
            tracing::warn!("block status lost on its way to the window: {e}");
        }
    }
}

impl BlockProgress for StatusReporter {
    fn gated(&self, waiting: &str) {
        self.report(BlockState::Gated, None, Some(waiting.to_string()));
    }

    fn started(&self, request: &StepRequest) {
        let waiting = matches!(
            request.action,
            StepAction::Background(_) | StepAction::Interactive(_)
        );
        let keys = request.typing == Some(Typing::Keys);
        let (state, message) = match () {
            () if keys => (
                BlockState::Typing,
                Some(format!("press keys to type in `{}`", request.terminal)),
            ),
            () if waiting => (BlockState::Waiting, None),
            () => (BlockState::Running, None),
        };
        self.report(state, None, message);
    }
}

/// Stops what block `block_id` runs: Ctrl-C, then SIGTERM, then SIGKILL.
#[tauri::command]
pub async fn stop_block(
    terminals: State<'_, Arc<Terminals>>,
    block_id: String,
) -> Result<(), TerminalError> {
    let block = terminals.block(&block_id)?;
    let manager = terminals.manager()?;
    blocking(move || {
        for request in StepRequest::from_block(&block) {
            manager.stop(&request.terminal);
        }
        Ok(())
    })
    .await
}

/// Stops what runs in terminal `name` (its foreground program), whichever block
/// started it: Ctrl-C, then SIGTERM, then SIGKILL. The shell itself stays.
#[tauri::command]
pub async fn stop_terminal(
    terminals: State<'_, Arc<Terminals>>,
    name: String,
) -> Result<(), TerminalError> {
    let manager = terminals.manager()?;
    blocking(move || {
        let outcome = manager
            .stop(&name)
            .ok_or_else(|| TerminalError::new(format!("terminal `{name}` is not started")))?;
        tracing::info!(terminal = %name, ?outcome, "terminal stopped");
        Ok(())
    })
    .await
}

/// Which xterm.js renderer the window should use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Renderer {
    Webgl,
    Dom,
}

/// WebGL, unless WebKit's compositing is off (WebGL canvases then stay blank, as
/// under Xvfb) or `CUEDECK_TERMINAL_RENDERER=dom` asks for the DOM renderer.
pub fn renderer_from_env(compositing_off: Option<&str>, wanted: Option<&str>) -> Renderer {
    let off = compositing_off.is_some_and(|v| !v.is_empty() && v != "0");
    if off || wanted == Some("dom") {
        Renderer::Dom
    } else {
        Renderer::Webgl
    }
}

#[tauri::command]
pub fn terminal_renderer() -> Renderer {
    renderer_from_env(
        std::env::var("WEBKIT_DISABLE_COMPOSITING_MODE")
            .ok()
            .as_deref(),
        std::env::var("CUEDECK_TERMINAL_RENDERER").ok().as_deref(),
    )
}

#[cfg(test)]
mod renderer_tests {
    use super::*;

    #[test]
    fn dom_when_compositing_is_off_or_asked_for() {
        assert_eq!(renderer_from_env(None, None), Renderer::Webgl);
        assert_eq!(renderer_from_env(Some("1"), None), Renderer::Dom);
        assert_eq!(renderer_from_env(Some("0"), None), Renderer::Webgl);
        assert_eq!(renderer_from_env(None, Some("dom")), Renderer::Dom);
    }
}

#[cfg(test)]
mod ack_tests {
    use super::*;

    #[test]
    fn a_masked_views_acks_pass_through_but_never_beyond_what_was_printed() {
        let bridge = AckBridge::default();
        bridge.fed.store(100, Ordering::SeqCst);
        assert_eq!(bridge.ack(40), 40);
        // Masking made the view's bytes more than printed (U+FFFD): capped.
        assert_eq!(bridge.ack(80), 60);
        assert_eq!(bridge.ack(5), 0);
        bridge.fed.store(110, Ordering::SeqCst);
        assert_eq!(bridge.ack(10), 10);
    }
}
