//! How a runbook's terminals start: in the runbook's folder (or its front matter
//! `cwd`, relative to that folder), with its front matter `shell` and `env`.

use std::path::Path;

use crate::runbook::FrontMatter;
use crate::terminal::shell_integration::{own_bin_dir, BIN_DIR_VAR};
use crate::terminal::{SessionOptions, ShellKind};

/// Terminal options for the runbook read from `runbook_path`.
pub fn session_options(fm: &FrontMatter, runbook_path: &Path) -> SessionOptions {
    let folder = crate::runbook::folder_of(runbook_path);
    let folder = folder
        .canonicalize()
        .unwrap_or_else(|_| folder.to_path_buf());
    let cwd = fm.cwd.as_ref().map_or(folder.clone(), |c| folder.join(c));
    SessionOptions {
        shell: fm
            .shell
            .as_deref()
            .and_then(ShellKind::from_name)
            .unwrap_or_else(ShellKind::from_env),
        cwd: Some(cwd),
        env: fm
            .env
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .chain(own_bin_dir().map(|d| (BIN_DIR_VAR.to_string(), d.display().to_string())))
            .collect(),
        ..SessionOptions::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cwd_is_relative_to_the_runbook() {
        let fm = FrontMatter {
            cwd: Some("sub".into()),
            shell: Some("zsh".into()),
            env: [("A".to_string(), "1".to_string())].into(),
            ..FrontMatter::default()
        };
        let o = session_options(&fm, Path::new("/tmp/x/runbook.md"));
        assert_eq!(o.cwd.as_deref(), Some(Path::new("/tmp/x/sub")));
        assert_eq!(o.shell, ShellKind::Zsh);
        assert_eq!(o.env[0], ("A".to_string(), "1".to_string()));
        assert!(o.env[1..].iter().all(|(k, _)| k == BIN_DIR_VAR));
    }
}
