//! Pre-flight: what a runbook needs from this machine before the show, checked now.
//!
//! - every tool its shell steps call is on PATH;
//! - every port a step binds (a server it starts) is free;
//! - every service is reachable — unless a step of the runbook starts services, in
//!   which case a service that is down now is expected to come up later (amber, not red);
//! - each checklist item: checked automatically when it names a tool, a port or a
//!   service, ticked by hand otherwise.
//!
//! [`plan`] says what to check (pure, from the model); [`run`] checks it.

use std::collections::BTreeMap;
use std::future::Future;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::events::{Health, ServiceStatus};
use super::ports;
use crate::runbook::{lint, shell, AutoCheck, BlockKind, Runbook, ServiceProbe};
use crate::terminal::shell_integration::tool_path;

/// How long a "something listens on this port" check may take.
const CONNECT_TIMEOUT: Duration = Duration::from_millis(500);

/// What one pre-flight item is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum CheckKind {
    Tool,
    Port,
    Service,
    /// A checklist item of the runbook (`- [ ] ...`).
    Checklist,
}

/// The verdict on one item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum CheckStatus {
    /// Missing or wrong: the demo will fail here. Red.
    Missing,
    /// Down now, and a step of the runbook starts it. Amber.
    Later,
    /// To be ticked by hand (unticked). Grey.
    Manual,
    /// Present, free, reachable, or ticked. Green.
    Ok,
}

/// One line of the pre-flight list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PreflightItem {
    pub kind: CheckKind,
    /// The tool, port, service name or checklist text.
    pub subject: String,
    pub status: CheckStatus,
    /// Why: "not on PATH (used by step "Setup")", "in use by pid 42 (python3)".
    pub detail: String,
    /// Where the runbook needs it.
    pub line: usize,
}

/// The whole list, in the order tools, ports, services, checklist.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PreflightReport {
    pub items: Vec<PreflightItem>,
}

impl PreflightReport {
    /// Whether anything is missing (the CLI's exit 1).
    pub fn has_missing(&self) -> bool {
        self.items.iter().any(|i| i.status == CheckStatus::Missing)
    }
}

/// What a check will look at, before looking.
#[derive(Debug, Clone, PartialEq)]
pub enum Planned {
    Tool {
        name: String,
        used: lint::FirstUse,
    },
    /// A port a step binds: it must be free, unless the service meant to run there
    /// already answers (started ahead of the show).
    FreePort {
        port: u16,
        used: lint::FirstUse,
        service: Option<ServiceProbe>,
    },
    Service {
        probe: ServiceProbe,
        /// The step that starts services, if the runbook has one.
        started_by: Option<lint::FirstUse>,
    },
    Checklist {
        text: String,
        ticked: bool,
        line: usize,
        check: Option<ChecklistCheck>,
        /// The id of the block written under the item: the presenter runs it from
        /// the pre-flight panel to check the item (pre-flight itself runs nothing).
        block: Option<String>,
    },
}

/// How a checklist item is checked automatically.
#[derive(Debug, Clone, PartialEq)]
pub enum ChecklistCheck {
    Tool(String),
    /// "Free local port 8080".
    PortFree(u16),
    /// "API server running (port 5001)".
    PortListening(u16),
    Service(ServiceProbe),
}

/// What to check for `runbook`, probing only `services` (the ones the presenter kept).
pub fn plan(runbook: &Runbook, services: &[ServiceProbe]) -> Vec<Planned> {
    let mut out: Vec<Planned> = lint::tools_used(runbook)
        .into_iter()
        .filter(|(name, _)| !BASIC_TOOLS.contains(&name.as_str()) || tool_path(name).is_none())
        .map(|(name, used)| Planned::Tool { name, used })
        .collect();
    let started_by = first_service_start(runbook);
    out.extend(
        bound_ports(runbook, started_by.as_ref())
            .into_iter()
            .map(|(port, used)| Planned::FreePort {
                port,
                used,
                service: services
                    .iter()
                    .find(|s| port_of(&s.url) == Some(port))
                    .cloned(),
            }),
    );
    out.extend(services.iter().map(|probe| Planned::Service {
        probe: probe.clone(),
        started_by: started_by.clone(),
    }));
    out.extend(runbook.checklist.iter().map(|item| Planned::Checklist {
        text: item.text.clone(),
        ticked: item.checked,
        line: item.line,
        check: checklist_check(&item.text, item.auto.as_ref(), services),
        block: item.block.clone(),
    }));
    out
}

/// Tools every system has: listed only when missing, so the list shows what matters.
const BASIC_TOOLS: &[&str] = &[
    "awk", "basename", "cat", "chmod", "cp", "cut", "date", "dirname", "env", "find", "grep",
    "head", "ls", "mkdir", "mv", "printf", "rm", "sed", "sleep", "sort", "tail", "tee", "touch",
    "tr", "uniq", "wc", "xargs",
];

/// Ports the runbook binds: those its server commands name (`--port 8080`), and, when
/// a step starts services, the ports of the local URLs it then uses (a `docker
/// compose up` names none itself). First use each.
fn bound_ports(
    runbook: &Runbook,
    started_by: Option<&lint::FirstUse>,
) -> BTreeMap<u16, lint::FirstUse> {
    let mut ports = BTreeMap::new();
    for (step, command) in run_commands(runbook) {
        for port in shell::bound_ports(&command.text) {
            ports.entry(port).or_insert_with(|| lint::FirstUse {
                line: command.line,
                step: step.title.clone(),
            });
        }
    }
    if let Some(start) = started_by {
        let urls = runbook
            .services
            .iter()
            .map(|s| s.url.as_str())
            .chain(runbook.metrics.iter().map(|m| m.url.as_str()));
        for port in urls.filter_map(port_of) {
            ports.entry(port).or_insert_with(|| start.clone());
        }
    }
    ports
}

/// The port of a local URL (`http://localhost:8080/health` -> 8080).
fn port_of(url: &str) -> Option<u16> {
    crate::runbook::local_port(url)
}

fn first_service_start(runbook: &Runbook) -> Option<lint::FirstUse> {
    run_commands(runbook)
        .find(|(_, c)| shell::starts_service(&c.text))
        .map(|(step, c)| lint::FirstUse {
            line: c.line,
            step: step.title.clone(),
        })
}

fn run_commands(
    runbook: &Runbook,
) -> impl Iterator<Item = (&crate::runbook::Step, &crate::runbook::Command)> {
    runbook
        .runnable_blocks()
        .filter(|(_, b)| b.kind == BlockKind::Run)
        .flat_map(|(step, b)| b.commands.iter().map(move |c| (step, c)))
}

fn checklist_check(
    text: &str,
    auto: Option<&AutoCheck>,
    services: &[ServiceProbe],
) -> Option<ChecklistCheck> {
    let lower = text.to_lowercase();
    let wants_free = ["free", "available", "not in use", "unused"]
        .iter()
        .any(|w| lower.contains(w));
    match auto {
        Some(AutoCheck::Tool(tool)) => return Some(ChecklistCheck::Tool(tool.clone())),
        Some(AutoCheck::Port(port)) if wants_free => return Some(ChecklistCheck::PortFree(*port)),
        Some(AutoCheck::Port(port)) => return Some(ChecklistCheck::PortListening(*port)),
        Some(AutoCheck::Service(name)) => {
            if let Some(s) = services.iter().find(|s| &s.name == name) {
                return Some(ChecklistCheck::Service(s.clone()));
            }
        }
        None => {}
    }
    // "demo service is up": an item naming a declared service checks that service.
    services
        .iter()
        .find(|s| names_word(&lower, &s.name.to_lowercase()))
        .map(|s| ChecklistCheck::Service(s.clone()))
}

/// Whether `word` occurs in `text` as a whole word.
fn names_word(text: &str, word: &str) -> bool {
    !word.is_empty()
        && text
            .split(|c: char| !(c.is_alphanumeric() || c == '-' || c == '_' || c == ':'))
            .any(|w| w == word)
}

/// Checks every planned item; services are probed concurrently through `probe`
/// (the health probe, or a stand-in in tests).
pub async fn run<F, Fut>(planned: Vec<Planned>, probe: F) -> PreflightReport
where
    F: Fn(ServiceProbe) -> Fut,
    Fut: Future<Output = ServiceStatus>,
{
    let services: Vec<ServiceProbe> = planned
        .iter()
        .filter_map(|p| match p {
            Planned::Service { probe, .. } => Some(probe.clone()),
            Planned::FreePort {
                service: Some(s), ..
            } => Some(s.clone()),
            Planned::Checklist {
                check: Some(ChecklistCheck::Service(s)),
                ..
            } => Some(s.clone()),
            _ => None,
        })
        .collect();
    let statuses: Vec<ServiceStatus> =
        futures_util::future::join_all(services.into_iter().map(probe)).await;
    let status_of = |name: &str| statuses.iter().find(|s| s.service == name);
    let items = planned.into_iter().map(|p| judge(p, &status_of)).collect();
    PreflightReport { items }
}

/// Plans and checks everything now, probing `services` concurrently. Blocking: for
/// the CLI, or the app's blocking workers (tool and port checks touch files and sockets).
pub fn check_now(runbook: &Runbook, services: &[ServiceProbe]) -> std::io::Result<PreflightReport> {
    let planned = plan(runbook, services);
    super::health::block_on_with_client(|client| {
        run(planned, move |probe| {
            let client = client.clone();
            async move { super::health::probe_service(&client, &probe).await }
        })
    })
}

fn judge<'a>(
    planned: Planned,
    status_of: &impl Fn(&str) -> Option<&'a ServiceStatus>,
) -> PreflightItem {
    match planned {
        Planned::Tool { name, used } => tool_item(name, used.line, &used.step),
        Planned::FreePort {
            port,
            used,
            service,
        } => {
            let running = service
                .as_ref()
                .and_then(|s| status_of(&s.name))
                .filter(|st| st.health == Health::Up);
            match running {
                Some(st) => already_running_item(port, used, st),
                None => free_port_item(port, used),
            }
        }
        Planned::Service { probe, started_by } => {
            service_item(&probe, status_of(&probe.name), started_by.as_ref())
        }
        Planned::Checklist {
            text,
            ticked,
            line,
            check,
            block,
        } => checklist_item(text, ticked, line, check, block, status_of),
    }
}

fn tool_item(name: String, line: usize, step: &str) -> PreflightItem {
    let (status, detail) = match tool_path(&name) {
        Some(path) => (CheckStatus::Ok, path.display().to_string()),
        None => (
            CheckStatus::Missing,
            format!("not on PATH (used by step \"{step}\")"),
        ),
    };
    PreflightItem {
        kind: CheckKind::Tool,
        subject: name,
        status,
        detail,
        line,
    }
}

fn free_port_item(port: u16, used: lint::FirstUse) -> PreflightItem {
    let (status, detail) = if ports::port_in_use(port) {
        (CheckStatus::Missing, in_use_detail(port, &used.step))
    } else {
        (
            CheckStatus::Ok,
            format!("free (step \"{}\" binds it)", used.step),
        )
    };
    PreflightItem {
        kind: CheckKind::Port,
        subject: port.to_string(),
        status,
        detail,
        line: used.line,
    }
}

fn already_running_item(port: u16, used: lint::FirstUse, status: &ServiceStatus) -> PreflightItem {
    let holder = ports::held_by(port);
    PreflightItem {
        kind: CheckKind::Port,
        subject: port.to_string(),
        status: CheckStatus::Ok,
        detail: format!(
            "in use{holder}: {} already answers (started ahead of step \"{}\")",
            status.service, used.step
        ),
        line: used.line,
    }
}

fn in_use_detail(port: u16, step: &str) -> String {
    let holder = ports::held_by(port);
    format!("in use{holder}: step \"{step}\" needs it free")
}

fn service_item(
    probe: &ServiceProbe,
    status: Option<&ServiceStatus>,
    started_by: Option<&lint::FirstUse>,
) -> PreflightItem {
    let (status, detail) = match (status, started_by) {
        (Some(s), _) if s.health == Health::Up => (CheckStatus::Ok, up_detail(s, &probe.url)),
        (Some(s), _) if s.health == Health::Degraded => (
            CheckStatus::Ok,
            format!("degraded at {}: {}", probe.url, why(s)),
        ),
        (s, Some(start)) => (
            CheckStatus::Later,
            format!(
                "{} down now ({}); step \"{}\" (line {}) starts services",
                probe.url,
                s.map_or_else(|| "not probed".into(), why),
                start.step,
                start.line
            ),
        ),
        (s, None) => (
            CheckStatus::Missing,
            format!(
                "not reachable: {} ({})",
                s.map_or_else(|| "not probed".into(), why),
                probe.url
            ),
        ),
    };
    PreflightItem {
        kind: CheckKind::Service,
        subject: probe.name.clone(),
        status,
        detail,
        line: probe.line,
    }
}

fn up_detail(s: &ServiceStatus, url: &str) -> String {
    match s.latency_ms {
        Some(ms) => format!("up at {url} ({ms:.0} ms)"),
        None => format!("up at {url}"),
    }
}

fn why(s: &ServiceStatus) -> String {
    s.error.clone().unwrap_or_else(|| format!("{:?}", s.health))
}

fn checklist_item<'a>(
    text: String,
    ticked: bool,
    line: usize,
    check: Option<ChecklistCheck>,
    block: Option<String>,
    status_of: &impl Fn(&str) -> Option<&'a ServiceStatus>,
) -> PreflightItem {
    let (status, detail) = match (check, block) {
        (None, _) if ticked => (CheckStatus::Ok, "ticked in the runbook".into()),
        (None, Some(block)) => (
            CheckStatus::Manual,
            format!("run its command (block `{block}`) to check it, or tick by hand"),
        ),
        (None, None) => (CheckStatus::Manual, "tick by hand".into()),
        (Some(check), _) => check_item(check, status_of),
    };
    PreflightItem {
        kind: CheckKind::Checklist,
        subject: text,
        status,
        detail,
        line,
    }
}

/// An item checked automatically: its verdict and why.
fn check_item<'a>(
    check: ChecklistCheck,
    status_of: &impl Fn(&str) -> Option<&'a ServiceStatus>,
) -> (CheckStatus, String) {
    match check {
        ChecklistCheck::Tool(tool) => match tool_path(&tool) {
            Some(path) => (CheckStatus::Ok, format!("`{tool}`: {}", path.display())),
            None => (CheckStatus::Missing, format!("`{tool}` is not on PATH")),
        },
        ChecklistCheck::PortFree(port) => {
            if ports::port_in_use(port) {
                let holder = ports::held_by(port);
                (
                    CheckStatus::Missing,
                    format!("port {port} is in use{holder}"),
                )
            } else {
                (CheckStatus::Ok, format!("port {port} is free"))
            }
        }
        ChecklistCheck::PortListening(port) => {
            if ports::listening(port, CONNECT_TIMEOUT) {
                (CheckStatus::Ok, format!("port {port} answers"))
            } else {
                (
                    CheckStatus::Missing,
                    format!("nothing listens on port {port}"),
                )
            }
        }
        ChecklistCheck::Service(probe) => {
            let item = service_item(&probe, status_of(&probe.name), None);
            (item.status, format!("{}: {}", probe.name, item.detail))
        }
    }
}
