//! How a runbook's terminals start: in the runbook's folder (or its front matter
//! `cwd`, relative to that folder), with its front matter `shell` and `env` (less
//! what [`crate::trust::env`] refuses; `PATH` only prepended to), keeping a masked
//! screen when the runbook redacts.

use std::path::Path;
use std::sync::Arc;

use crate::record::redact::Redactor;
use crate::runbook::Runbook;
use crate::terminal::shell_integration::{own_bin_dir, BIN_DIR_VAR};
use crate::terminal::{SessionOptions, ShellKind};

/// Terminal options for the runbook read from `runbook_path`.
pub fn session_options(runbook: &Runbook, runbook_path: &Path) -> SessionOptions {
    let fm = &runbook.front_matter;
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
        env: crate::trust::env::effective_env(&fm.env)
            .into_iter()
            .chain(own_bin_dir().map(|d| (BIN_DIR_VAR.to_string(), d.display().to_string())))
            .collect(),
        masked_screen: Redactor::wanted_by(runbook)
            .then(|| Arc::new(Redactor::for_runbook(runbook))),
        ..SessionOptions::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cwd_is_relative_to_the_runbook() {
        let runbook = crate::runbook::parse_str(
            "---\ncwd: sub\nshell: zsh\nenv:\n  A: \"1\"\n---\n# Demo\n",
            None,
        );
        let o = session_options(&runbook, Path::new("/tmp/x/runbook.md"));
        assert_eq!(o.cwd.as_deref(), Some(Path::new("/tmp/x/sub")));
        assert_eq!(o.shell, ShellKind::Zsh);
        assert_eq!(o.env[0], ("A".to_string(), "1".to_string()));
        assert!(o.env[1..].iter().all(|(k, _)| k == BIN_DIR_VAR));
        assert!(o.masked_screen.is_none(), "nothing to mask");
    }

    #[test]
    fn a_runbook_that_redacts_keeps_a_masked_screen() {
        let runbook = crate::runbook::parse_str(
            "# Demo\n\n## One\n\n```bash {\"redact\": true}\necho x\n```\n",
            None,
        );
        let o = session_options(&runbook, Path::new("/tmp/x/runbook.md"));
        assert!(
            o.masked_screen.is_some_and(|r| r.is_empty()),
            "a block may mask all"
        );
    }
}
