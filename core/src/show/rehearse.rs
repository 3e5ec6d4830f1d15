//! A recorded rehearsal: [`run_all`] with a [`Recorder`] on the terminals, the step
//! markers, and (headless) a probe monitor recording the samples.
//!
//! The app has its own monitor already; it passes [`Probing::External`] and sends
//! its events to [`Recorder::samples`] while the rehearsal runs.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use super::run_all::{self, Progress, Report, Selection, SelectionError, StepResult};
use crate::probe::health;
use crate::probe::monitor::{Monitor, MonitorConfig};
use crate::probe::{ProbeEvent, ProbeSink, ServiceStatus};
use crate::record::manifest::Manifest;
use crate::record::{RecordError, Recorder};
use crate::runbook::{Runbook, Step};
use crate::terminal::TerminalManager;

/// Who records the probe samples.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Probing {
    /// Start a monitor for the rehearsal (the CLI).
    Own,
    /// The caller feeds [`Recorder::samples`] (the app).
    External,
}

#[derive(Debug, thiserror::Error)]
pub enum RehearseError {
    #[error(transparent)]
    Record(#[from] RecordError),
    #[error(transparent)]
    Selection(#[from] SelectionError),
}

/// How often the headless monitor samples CPU and memory during a rehearsal.
const SYSTEM_INTERVAL: Duration = Duration::from_secs(1);

struct Marking<'a, P> {
    recorder: &'a Recorder,
    inner: P,
}

impl<P: Progress> Progress for Marking<'_, P> {
    fn step_started(&mut self, step: &Step) {
        self.recorder.step_started(step);
        self.inner.step_started(step);
    }

    fn services_up(&mut self, statuses: &[ServiceStatus]) {
        for status in statuses {
            self.recorder
                .samples()
                .write(ProbeEvent::Service(status.clone()));
        }
        self.inner.services_up(statuses);
    }

    fn step_finished(&mut self, step: &Step, result: &StepResult) {
        self.recorder.step_finished(step, result);
        self.inner.step_finished(step, result);
    }
}

/// Runs the selected steps of `runbook` in `manager`'s terminals, recording them
/// into a new rehearsal folder. `on_recorder` gets the recorder as soon as it exists
/// (the app tees its probe events to it). The terminals are closed at the end.
pub fn rehearse(
    runbook_path: &Path,
    runbook: &Runbook,
    manager: &TerminalManager,
    selection: &Selection,
    probing: Probing,
    on_recorder: impl FnOnce(&Arc<Recorder>),
    progress: impl Progress,
) -> Result<(Report, Manifest, Arc<Recorder>), RehearseError> {
    run_all::select(runbook, selection)?;
    let recorder = Recorder::create(runbook_path, runbook)?;
    recorder.attach(manager);
    on_recorder(&recorder);
    let monitor = match probing {
        Probing::Own => start_monitor(runbook, &recorder),
        Probing::External => None,
    };
    let marking = Marking {
        recorder: &recorder,
        inner: progress,
    };
    let report = run_all::run_all(runbook, manager, selection, marking);
    if let Some((runtime, mut monitor)) = monitor {
        monitor.stop();
        drop(runtime);
    }
    let manifest = recorder.finish(manager);
    Ok((report?, manifest, recorder))
}

/// A monitor of the runbook's services, metrics and the machine, recording into
/// `recorder`, on a small runtime of its own.
fn start_monitor(
    runbook: &Runbook,
    recorder: &Arc<Recorder>,
) -> Option<(tokio::runtime::Runtime, Monitor)> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("rehearsal-probes")
        .enable_all()
        .build()
        .map_err(|e| tracing::warn!("probes not recorded: {e}"))
        .ok()?;
    let client = health::http_client()
        .map_err(|e| tracing::warn!("probes not recorded: {e}"))
        .ok()?;
    let config = MonitorConfig {
        services: runbook.services.clone(),
        metrics: runbook.metrics.clone(),
        system_interval: Some(SYSTEM_INTERVAL),
        // Machine-wide samples only: the terminals are not known before they start.
        terminals: Arc::new(Vec::new),
    };
    let sink: Arc<dyn ProbeSink> = recorder.samples();
    let monitor = Monitor::start(runtime.handle(), client, config, sink);
    Some((runtime, monitor))
}
