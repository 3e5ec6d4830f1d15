//! Declares the app's own commands to Tauri's ACL, so each one must be granted to a
//! window in `capabilities/` (without a manifest, app commands skip permission checks).

/// Every `#[tauri::command]` the app registers. Keep in sync with `src/lib.rs`.
const COMMANDS: &[&str] = &["open_runbook", "initial_runbook", "watch_runbook"];

fn main() {
    let manifest = tauri_build::AppManifest::new().commands(COMMANDS);
    if let Err(e) = tauri_build::try_build(tauri_build::Attributes::new().app_manifest(manifest)) {
        // A build script reports failure by panicking; say why first.
        panic!("tauri-build failed: {e:#}");
    }
}
