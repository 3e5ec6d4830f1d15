//! The web UI in ui/: npm scripts.

use crate::process;
use anyhow::{bail, Context, Result};
use std::path::Path;
use std::process::Command;

/// `npm run SCRIPT` in ui/ (`npm test` for "test").
pub fn npm(ui_dir: &Path, script: &str) -> Result<()> {
    if !ui_dir.join("package.json").exists() {
        bail!(
            "{} not found: the UI is not in this checkout",
            ui_dir.join("package.json").display()
        );
    }
    let mut cmd = Command::new("npm");
    if script == "test" {
        cmd.arg("test");
    } else {
        cmd.args(["run", script]);
    }
    cmd.current_dir(ui_dir);
    println!("==> {}", process::describe(&cmd));
    process::run(&mut cmd).with_context(|| format!("UI script `{script}` failed"))
}
