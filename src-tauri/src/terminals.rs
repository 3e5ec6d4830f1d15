//! The window's terminals: commands over core's [`TerminalManager`] for the open
//! runbook. Output reaches the UI as raw byte batches on a `Channel` (one send per
//! batch); the UI acknowledges what xterm.js rendered, which paces the PTY reader.
//! Every terminal closes when another runbook opens and when the app exits.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use cuedeck_core::record::live_redact::redacting_sink;
use cuedeck_core::record::redact::{redact_bytes, Redactor};
use cuedeck_core::runbook::{CodeBlock, Runbook};
use cuedeck_core::show::gate::{self, GateRefused};
use cuedeck_core::show::state::{Show, ShowCommand};
use cuedeck_core::show::terminals::session_options;
use cuedeck_core::terminal::{
    Acknowledge, Session, ShellState, SinkId, StepAction, StepRequest, StepStatus, TermSize,
    TerminalManager,
};
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
    /// The audience window's view of each terminal (read-only, redacted, unpaced).
    audience_views: HashMap<String, SinkId>,
    /// The cancel flag of each block waiting at its gate, by block id.
    gates: HashMap<String, Arc<AtomicBool>>,
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
            inner.audience_views.clear();
            inner.path = Some(path.to_path_buf());
            inner.manager = Some(Arc::new(TerminalManager::new(session_options(
                &runbook.front_matter,
                path,
            ))));
            if let Some(old) = old {
                std::thread::spawn(move || old.close_all());
            }
        }
        inner.runbook = Some(Arc::new(runbook.clone()));
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
            .filter(|s| s.state() == ShellState::Running)
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

async fn blocking<T: Send + 'static>(
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
        let session = terminals.manager()?.session(&name)?;
        publish_started(&show, &terminals);
        session.resize(TermSize { rows, cols })?;
        let sink = move |bytes: &[u8]| {
            if let Err(e) = output.send(InvokeResponseBody::Raw(bytes.to_vec())) {
                tracing::warn!("terminal output lost on its way to the window: {e}");
            }
        };
        let (id, snapshot) = session.attach(Box::new(sink), Acknowledge::Required);
        if let Some(old) = terminals.lock().views.insert(name, id) {
            session.detach(old);
        }
        Ok(Response::new(snapshot.redraw))
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
        let redactor = Arc::new(Redactor::new(&runbook.front_matter.redact));
        let sink = move |bytes: &[u8]| {
            if let Err(e) = output.send(InvokeResponseBody::Raw(bytes.to_vec())) {
                tracing::warn!("terminal output lost on its way to the audience: {e}");
            }
        };
        let sink = redacting_sink(Arc::clone(&redactor), Box::new(sink));
        let (id, snapshot) = session.attach(sink, Acknowledge::Never);
        if let Some(old) = terminals.lock().audience_views.insert(name, id) {
            session.detach(old);
        }
        Ok(Response::new(redact_bytes(&redactor, &snapshot.redraw)))
    })
    .await
}

/// The view rendered `bytes` more of terminal `name`'s output.
#[tauri::command]
pub fn terminal_ack(
    terminals: State<'_, Arc<Terminals>>,
    name: String,
    bytes: usize,
) -> Result<(), TerminalError> {
    let id = terminals.lock().views.get(&name).copied();
    if let Some(id) = id {
        terminals.session(&name)?.ack(id, bytes);
    }
    Ok(())
}

/// Keys the presenter typed into terminal `name`.
#[tauri::command]
pub async fn terminal_input(
    terminals: State<'_, Arc<Terminals>>,
    name: String,
    data: String,
) -> Result<(), TerminalError> {
    let session = terminals.session(&name)?;
    blocking(move || Ok(session.write(data.as_bytes())?)).await
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

/// Runs block `block_id` of the open runbook, reporting its progress on `on_status`.
#[tauri::command]
pub async fn run_block(
    terminals: State<'_, Arc<Terminals>>,
    block_id: String,
    on_status: Channel<BlockStatus>,
) -> Result<(), TerminalError> {
    let block = terminals.block(&block_id)?;
    let runbook = terminals
        .lock()
        .runbook
        .clone()
        .ok_or_else(|| TerminalError::new("no runbook is open"))?;
    let manager = terminals.manager()?;
    let terminals = Arc::clone(&terminals);
    blocking(move || {
        let started = Instant::now();
        let report = |state: BlockState, exit_code: Option<i32>, message: Option<String>| {
            let status = BlockStatus {
                block_id: block_id.clone(),
                state,
                exit_code,
                duration_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
                message,
            };
            if let Err(e) = on_status.send(status) {
                tracing::warn!("block status lost on its way to the window: {e}");
            }
        };
        let cancel = Arc::new(AtomicBool::new(false));
        terminals
            .lock()
            .gates
            .insert(block_id.clone(), Arc::clone(&cancel));
        let gate = gate::pass(&runbook, &block, &cancel, |waiting: &str| {
            report(BlockState::Gated, None, Some(waiting.to_string()));
        });
        terminals.lock().gates.remove(&block_id);
        match gate {
            Ok(_) => {}
            Err(GateRefused::Cancelled) => {
                report(
                    BlockState::Stopped,
                    None,
                    Some(GateRefused::Cancelled.to_string()),
                );
                return Ok(());
            }
            Err(why) => {
                report(BlockState::TimedOut, None, Some(why.to_string()));
                return Ok(());
            }
        }
        let mut last = (BlockState::Ok, None, None);
        for request in StepRequest::from_block(&gate::gated_block(&block)) {
            let waiting = matches!(request.action, StepAction::Background(_));
            report(
                if waiting {
                    BlockState::Waiting
                } else {
                    BlockState::Running
                },
                None,
                None,
            );
            last = match manager.run(&request) {
                Ok(o) => (o.status.into(), o.exit_code, o.message),
                Err(e) => (BlockState::Failed, None, Some(e.to_string())),
            };
            if matches!(
                last.0,
                BlockState::Failed | BlockState::TimedOut | BlockState::Stopped
            ) {
                break;
            }
        }
        report(last.0, last.1, last.2);
        Ok(())
    })
    .await
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
