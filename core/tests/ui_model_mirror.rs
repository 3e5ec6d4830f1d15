//! `ui/src/shared/model.ts` mirrors the Rust types the window receives by hand: every field
//! name these types serialize must be declared there, or the UI silently reads
//! `undefined`. This walks real values (a runbook using every convention, probe
//! events, a pre-flight report) and looks each key up in the TypeScript file.

use std::collections::BTreeSet;
use std::path::Path;

use cuedeck_core::probe::preflight::{self, PreflightReport};
use cuedeck_core::probe::{
    Health, MetricPoint, ProbeEvent, ServiceStatus, SystemSample, TerminalUsage,
};
use cuedeck_core::runbook;
use serde_json::Value;

/// Fields whose values are maps with user-chosen keys (env names, unknown attributes).
const FREE_FORM: &[&str] = &[
    "env",
    "unknown",
    "extra",
    "value",
    "stepSpentMs",
    "stepModes",
];

fn keys(value: &Value, out: &mut BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                out.insert(k.clone());
                if !FREE_FORM.contains(&k.as_str()) {
                    keys(v, out);
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| keys(v, out)),
        _ => {}
    }
}

fn root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

fn samples() -> Vec<Value> {
    let mut values = Vec::new();
    for file in [
        "runbooks/tour.md",
        "core/tests/fixtures/gated.md",
        "core/tests/fixtures/odd.md",
        "core/tests/fixtures/timeline.md",
    ] {
        let rb = runbook::load(&root().join(file)).expect("fixture loads");
        values.push(serde_json::to_value(&rb).expect("runbook as JSON"));
    }
    let status = ServiceStatus {
        service: "api".into(),
        url: "http://127.0.0.1:1/health".into(),
        health: Health::Up,
        at: 1,
        latency_ms: Some(1.0),
        http_status: Some(200),
        error: None,
    };
    let point = MetricPoint {
        source: "s".into(),
        series: "rps".into(),
        at: 1,
        value: 1.0,
        unit: None,
    };
    let system = SystemSample {
        at: 1,
        cpu_percent: 1.0,
        memory_used_bytes: 1,
        memory_total_bytes: 2,
        terminals: vec![TerminalUsage {
            terminal: "main".into(),
            cpu_percent: 1.0,
            rss_bytes: 1,
            processes: 1,
        }],
    };
    for event in [
        ProbeEvent::Service(status),
        ProbeEvent::Metrics {
            source: "s".into(),
            at: 1,
            points: vec![point],
            error: None,
        },
        ProbeEvent::System(system),
    ] {
        values.push(serde_json::to_value(&event).expect("event as JSON"));
    }
    values.push(
        serde_json::to_value(PreflightReport {
            items: vec![preflight::PreflightItem {
                kind: preflight::CheckKind::Tool,
                subject: "jq".into(),
                status: preflight::CheckStatus::Ok,
                detail: "/usr/bin/jq".into(),
                line: 1,
            }],
        })
        .expect("report as JSON"),
    );
    values.extend(show_samples());
    values
}

/// The show state both windows receive, with every part set, and the audience's view.
fn show_samples() -> Vec<Value> {
    use cuedeck_core::show::audience::AudienceView;
    use cuedeck_core::show::state::{Mode, Show, ShowCommand, TerminalGrid};
    let tour = runbook::load(&root().join("runbooks/tour.md")).expect("the tour loads");
    let show = Show::new();
    let ids = tour.steps.iter().map(|s| s.id.clone()).collect();
    show.open("tour.md", ids, 1_000);
    let first = tour.steps[0].id.clone();
    for command in [
        ShowCommand::GoTo { step: 1 },
        ShowCommand::ToggleTimer,
        ShowCommand::SetStepMode {
            step_id: first.clone(),
            mode: Some(Mode::Playback),
        },
        ShowCommand::Playing {
            step_id: Some(first),
        },
        ShowCommand::Audience {
            open: true,
            monitor: Some("HDMI-1".into()),
            fullscreen: true,
        },
        ShowCommand::AudienceGrid {
            grid: Some(TerminalGrid {
                cols: 100,
                rows: 30,
            }),
        },
        ShowCommand::Terminals {
            names: vec!["main".into()],
        },
    ] {
        show.apply(command, 2_000).expect("a valid command");
    }
    vec![
        serde_json::to_value(show.state()).expect("show state as JSON"),
        serde_json::to_value(AudienceView::of(&tour)).expect("audience view as JSON"),
    ]
}

#[test]
fn every_field_the_window_receives_is_declared_in_model_ts() {
    let model = std::fs::read_to_string(root().join("ui/src/shared/model.ts"))
        .expect("ui/src/shared/model.ts");
    let mut all = BTreeSet::new();
    for value in samples() {
        keys(&value, &mut all);
    }
    let declared = |key: &str| {
        model.contains(&format!(" {key}: "))
            || model.contains(&format!(" {key}?: "))
            || model.contains(&format!("{{ {key}: "))
            || model.contains(&format!("\"{key}\""))
    };
    let missing: Vec<&String> = all.iter().filter(|k| !declared(k)).collect();
    assert!(
        missing.is_empty(),
        "fields serialized by Rust but not declared in ui/src/shared/model.ts: {missing:?}"
    );
    assert!(
        all.len() > 100,
        "the samples cover the model ({} keys)",
        all.len()
    );
}

#[test]
fn the_views_scrollback_is_the_screen_models() {
    let view = std::fs::read_to_string(root().join("ui/src/shared/terminal-view.ts"))
        .expect("ui/src/shared/terminal-view.ts");
    let declared = format!(
        "export const VIEW_SCROLLBACK = {};",
        cuedeck_core::terminal::screen::VIEW_SCROLLBACK
    );
    assert!(
        view.contains(&declared) && view.contains("scrollback: VIEW_SCROLLBACK"),
        "terminal-view.ts must make its xterm with `{declared}`: a resynced view \
         would otherwise miss scrollback rows, or the screen model keep too few"
    );
}

#[test]
fn the_view_counts_resyncs_by_the_screen_models_mark() {
    let view = std::fs::read_to_string(root().join("ui/src/shared/terminal-view.ts"))
        .expect("ui/src/shared/terminal-view.ts");
    let declared = format!(
        "export const RESYNC_OSC = {};",
        cuedeck_core::terminal::screen::RESYNC_OSC
    );
    assert!(
        view.contains(&declared) && view.contains("registerOscHandler(RESYNC_OSC"),
        "terminal-view.ts must count resyncs by `{declared}`"
    );
}
