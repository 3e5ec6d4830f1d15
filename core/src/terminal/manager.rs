//! The named terminals of a runbook: created on first use, closed together.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use super::error::Result;
use super::runner::StopOutcome;
use super::session::{Session, SessionOptions};
use super::step::{StepOutcome, StepRequest};
use super::tracker::ShellState;

/// Called with each terminal the manager starts, before its shell's first prompt
/// (a recorder attaches its sink there, so the recording misses nothing).
pub type StartHook = Arc<dyn Fn(&Arc<Session>) + Send + Sync>;

/// Owns every terminal. Dropping it closes them all: no process is left behind.
pub struct TerminalManager {
    defaults: SessionOptions,
    sessions: Mutex<BTreeMap<String, Arc<Session>>>,
    on_start: Mutex<Option<StartHook>>,
}

impl std::fmt::Debug for TerminalManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TerminalManager")
            .field("sessions", &self.names())
            .finish()
    }
}

impl TerminalManager {
    /// `defaults` is used for every terminal, its `name` replaced.
    pub fn new(defaults: SessionOptions) -> Self {
        Self {
            defaults,
            sessions: Mutex::new(BTreeMap::new()),
            on_start: Mutex::new(None),
        }
    }

    /// Sets (or clears) the hook called with every terminal started from now on.
    pub fn set_start_hook(&self, hook: Option<StartHook>) {
        *self.on_start.lock().unwrap_or_else(|e| e.into_inner()) = hook;
    }

    fn lock(&self) -> MutexGuard<'_, BTreeMap<String, Arc<Session>>> {
        self.sessions.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The terminal `name`, started (and waited for at its first prompt) if needed.
    /// A terminal whose shell has exited is replaced by a new one. Terminals start
    /// side by side: the wait for a first prompt holds no lock.
    pub fn session(&self, name: &str) -> Result<Arc<Session>> {
        let session = {
            let mut sessions = self.lock();
            match sessions.get(name) {
                Some(s) if !s.shared.tracker.lock().is_gone() => Arc::clone(s),
                _ => {
                    let session = self.spawn(name)?;
                    sessions.insert(name.to_string(), Arc::clone(&session));
                    session
                }
            }
        };
        if session.state() == ShellState::Starting {
            // Not "at a prompt now": another thread may type a step the moment the
            // first prompt shows.
            if let Err(e) = session.wait_started(self.defaults.timeouts.startup) {
                // A shell that never showed a prompt is no terminal: the next
                // request starts a fresh one.
                self.lock()
                    .retain(|n, s| !(n == name && Arc::ptr_eq(s, &session)));
                session.close();
                return Err(e);
            }
        }
        Ok(session)
    }

    /// Starts terminal `name` and gives it to the start hook (before its first prompt).
    fn spawn(&self, name: &str) -> Result<Arc<Session>> {
        let options = SessionOptions {
            name: name.to_string(),
            ..self.defaults.clone()
        };
        let session = Arc::new(Session::spawn(options)?);
        let hook = self
            .on_start
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        if let Some(hook) = hook {
            hook(&session);
        }
        Ok(session)
    }

    /// The terminal `name`, if started.
    pub fn get(&self, name: &str) -> Option<Arc<Session>> {
        self.lock().get(name).cloned()
    }

    pub fn names(&self) -> Vec<String> {
        self.lock().keys().cloned().collect()
    }

    /// Runs a step in its terminal, starting the terminal if needed.
    pub fn run(&self, req: &StepRequest) -> Result<StepOutcome> {
        self.session(&req.terminal)?.run(req)
    }

    /// Runs the last command of terminal `name` again (see [`Session::restart`]).
    pub fn restart(&self, name: &str) -> Result<StepOutcome> {
        self.get(name)
            .ok_or_else(|| super::error::TerminalError::NothingToRestart(name.to_string()))?
            .restart()
    }

    /// Stops what runs in terminal `name`.
    pub fn stop(&self, name: &str) -> Option<StopOutcome> {
        self.get(name).map(|s| s.stop())
    }

    /// Closes terminal `name`; returns whether it existed.
    pub fn close(&self, name: &str) -> bool {
        let removed = self.lock().remove(name);
        removed.map(|s| s.close()).is_some()
    }

    /// Closes every terminal. Returns how many processes survived (0 normally).
    pub fn close_all(&self) -> usize {
        let sessions = std::mem::take(&mut *self.lock());
        sessions.values().map(|s| s.close()).sum()
    }
}

impl Drop for TerminalManager {
    fn drop(&mut self) {
        self.close_all();
    }
}
