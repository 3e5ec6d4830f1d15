//! `cargo xtask bundle`: the Debian package, built by the Tauri bundler.
//!
//! The app and the `cuedeck` CLI are built by cargo first (so the bundle holds exactly the
//! binaries the tests ran), then `tauri bundle --bundles deb` packs them. The bundler comes
//! from npm (`@tauri-apps/cli` in ui/, installed by `npm ci` like the UI's other tools).
//! Only `.deb`: AppImage downloads linuxdeploy and its plugins while it builds, which an
//! offline or locked-down build machine cannot do, and rpm is not what Debian installs.

use crate::e2e;
use crate::process;
use crate::workspace::Workspace;
use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Which cargo profile the packaged binaries come from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Profile {
    /// What a user installs.
    Release,
    /// What the install test packs: the binaries the e2e stage has just built and run.
    Debug,
}

impl Profile {
    fn dir(self) -> &'static str {
        match self {
            Profile::Release => "release",
            Profile::Debug => "debug",
        }
    }
}

/// Where the CLI lands inside the package (beside `cuedeck-app`, which Tauri puts there).
pub const INSTALLED_CLI: &str = "/usr/bin/cuedeck";

/// Builds the binaries and the `.deb`; returns the package's path.
pub fn bundle(ws: &Workspace, profile: Profile) -> Result<PathBuf> {
    e2e::build_app(ws, profile)?;

    let bins = ws.target_dir()?.join(profile.dir());
    let cli = bins.join("cuedeck");
    if !cli.is_file() {
        bail!("{} was not built", cli.display());
    }
    let out_dir = bins.join("bundle").join("deb");
    // An older package beside the new one would be found instead of it.
    let _ = std::fs::remove_dir_all(&out_dir);

    let tauri = tauri_cli(&ws.ui_dir())?;
    let mut cmd = Command::new(&tauri);
    cmd.args(["bundle", "--bundles", "deb", "--ci", "--no-sign"])
        // Patching rewrites the binary in place; the package should hold the one tested.
        .arg("--no-binary-patching")
        .arg("--config")
        .arg(cli_config(&cli))
        .current_dir(ws.root.join("src-tauri"));
    if profile == Profile::Debug {
        cmd.arg("--debug");
    }
    println!("==> {}", process::describe(&cmd));
    process::run(&mut cmd).context("the Tauri bundler failed")?;
    let deb = find_deb(&out_dir)?;
    let size = deb.metadata().map(|m| m.len()).unwrap_or(0);
    println!(
        "bundle: {} ({:.1} MiB)",
        deb.display(),
        size as f64 / (1024.0 * 1024.0)
    );
    Ok(deb)
}

/// The bundler from ui/node_modules (the version package-lock.json pins).
fn tauri_cli(ui_dir: &Path) -> Result<PathBuf> {
    let bin = ui_dir.join("node_modules").join(".bin").join("tauri");
    if process::is_executable(&bin) {
        Ok(bin)
    } else {
        bail!(
            "{} not found: the Tauri bundler is installed by `npm ci` in ui/ \
             (`cargo xtask setup` runs it)",
            bin.display()
        )
    }
}

/// The config merged over tauri.conf.json: the CLI of this profile goes to /usr/bin.
fn cli_config(cli: &Path) -> String {
    serde_json::json!({
        "bundle": { "linux": { "deb": { "files": { INSTALLED_CLI: cli } } } }
    })
    .to_string()
}

/// The one `.deb` the bundler wrote into `dir`.
fn find_deb(dir: &Path) -> Result<PathBuf> {
    let debs: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("the bundler wrote no {}", dir.display()))?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "deb"))
        .collect();
    match debs.as_slice() {
        [one] => Ok(one.clone()),
        [] => bail!("the bundler wrote no .deb into {}", dir.display()),
        many => bail!("more than one .deb in {}: {many:?}", dir.display()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cli_goes_to_usr_bin_from_the_profiles_folder() {
        let c: serde_json::Value =
            serde_json::from_str(&cli_config(Path::new("/t/release/cuedeck"))).unwrap();
        assert_eq!(
            c["bundle"]["linux"]["deb"]["files"]["/usr/bin/cuedeck"],
            "/t/release/cuedeck"
        );
    }
}
