//! Where things are: the repository root, cargo, the target directory, the app binary.

use crate::process;
use anyhow::{anyhow, Context, Result};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

pub struct Workspace {
    pub root: PathBuf,
    /// The cargo that ran us (`$CARGO`), so nested builds use the same toolchain.
    pub cargo: PathBuf,
    metadata: Value,
}

impl Workspace {
    pub fn load() -> Result<Self> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .context("xtask/ has no parent directory")?
            .to_path_buf();
        let cargo = std::env::var_os("CARGO")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("cargo"));
        let text = process::output(
            Command::new(&cargo)
                .args(["metadata", "--format-version", "1", "--no-deps"])
                .current_dir(&root),
        )
        .context("reading the workspace layout with `cargo metadata`")?;
        let metadata: Value =
            serde_json::from_str(&text).context("parsing `cargo metadata` output")?;
        Ok(Self {
            root,
            cargo,
            metadata,
        })
    }

    pub fn cargo(&self) -> Command {
        let mut c = Command::new(&self.cargo);
        c.current_dir(&self.root);
        c
    }

    /// The target directory cargo uses here (honours CARGO_TARGET_DIR and config).
    pub fn target_dir(&self) -> Result<PathBuf> {
        self.metadata["target_directory"]
            .as_str()
            .map(PathBuf::from)
            .ok_or_else(|| anyhow!("`cargo metadata` gave no target_directory"))
    }

    fn package(&self, name: &str) -> Option<&Value> {
        self.metadata["packages"]
            .as_array()?
            .iter()
            .find(|p| p["name"] == name)
    }

    /// The path of the (debug) binary of package `pkg`.
    pub fn binary(&self, pkg: &str) -> Result<PathBuf> {
        let p = self.package(pkg).ok_or_else(|| {
            anyhow!("the workspace has no package `{pkg}` (is the app merged into this branch?)")
        })?;
        let bin = p["targets"]
            .as_array()
            .and_then(|ts| {
                ts.iter().find(|t| {
                    t["kind"]
                        .as_array()
                        .is_some_and(|k| k.iter().any(|k| k == "bin"))
                })
            })
            .and_then(|t| t["name"].as_str())
            .ok_or_else(|| anyhow!("package `{pkg}` has no binary target"))?;
        let exe = format!("{bin}{}", std::env::consts::EXE_SUFFIX);
        Ok(self.target_dir()?.join("debug").join(exe))
    }

    pub fn ui_dir(&self) -> PathBuf {
        self.root.join("ui")
    }
}
