//! Declares the app's own commands to Tauri's ACL, so each one must be granted to a
//! window in `capabilities/` (without a manifest, app commands skip permission checks).

use std::path::Path;

/// Every `#[tauri::command]` the app registers. Keep in sync with `src/lib.rs`.
const COMMANDS: &[&str] = &[
    "open_runbook",
    "open_tour",
    "initial_runbook",
    "start_info",
    "forget_recent",
    "about",
    "watch_runbook",
    "terminal_attach",
    "terminal_ack",
    "terminal_input",
    "terminal_resize",
    "run_block",
    "stop_block",
    "stop_terminal",
    "restart_terminal",
    "terminal_type_key",
    "terminal_renderer",
    "open_link",
    "probe_attach",
    "probe_hide",
    "preflight_run",
    "recordings",
    "rehearse_run",
    "play_step",
    "playback_stop",
    "live_resume",
    "show_attach",
    "show_command",
    "audience_open",
    "audience_close",
    "audience_leave_fullscreen",
    "audience_blank",
    "audience_clicker",
    "audience_grid",
    "audience_view",
    "audience_terminal_attach",
    "capture_window",
    "rehearsal_list",
    "rehearsal_snapshot",
    "export_backup",
    "trust_status",
    "trust_accept",
];

fn main() {
    // The UI is embedded at compile time (feature `custom-protocol`): say how to get it
    // rather than fail later inside `generate_context!`.
    let dist = Path::new("../ui/dist/index.html");
    println!("cargo:rerun-if-changed=../ui/dist");
    if !dist.exists() {
        panic!(
            "ui/dist/index.html is missing: build the UI first \
             (`cd ui && npm ci && npm run build`, or `cargo xtask run`)"
        );
    }

    let manifest = tauri_build::AppManifest::new().commands(COMMANDS);
    if let Err(e) = tauri_build::try_build(tauri_build::Attributes::new().app_manifest(manifest)) {
        // A build script reports failure by panicking; say why first.
        panic!("tauri-build failed: {e:#}");
    }
}
