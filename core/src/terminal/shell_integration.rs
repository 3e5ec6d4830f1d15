//! Shell start-up with shell integration: rc files Cuedeck writes to a temporary
//! directory, which first read the user's own start-up files, then install OSC 133
//! semantic-prompt marks:
//!
//! - `A` before the prompt and `B` after it (wrapped around `PS1`, re-wrapped before
//!   every prompt in case the user's prompt command rewrites `PS1`);
//! - `C` when a command is accepted (`PS0` in bash, `preexec` in zsh);
//! - `D;<exit code>` before every prompt (first in `PROMPT_COMMAND` / `precmd`),
//!   also after a syntax error, where no `C` came.
//!
//! bash also gets bracketed paste forced on (a step is typed as one paste) and the
//! paste highlight off. `sh` runs bash in POSIX mode with the same integration: dash
//! and friends have no hook to report exit codes. Needs bash >= 4.4 (for `PS0`).

use std::fs;
use std::path::{Path, PathBuf};

use portable_pty::CommandBuilder;
use tempfile::TempDir;

use super::error::{Result, TerminalError};

/// Which shell a terminal runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ShellKind {
    #[default]
    Bash,
    Zsh,
    /// POSIX sh semantics (bash in POSIX mode).
    Sh,
}

impl ShellKind {
    /// The shell named by a runbook's `shell` key or a `$SHELL` path, if known.
    pub fn from_name(name: &str) -> Option<Self> {
        let base = Path::new(name.trim()).file_name()?.to_str()?;
        match base {
            "bash" => Some(Self::Bash),
            "zsh" => Some(Self::Zsh),
            "sh" | "dash" | "ash" => Some(Self::Sh),
            _ => None,
        }
    }

    /// The user's login shell (`$SHELL`) when it is one Cuedeck knows, else bash.
    pub fn from_env() -> Self {
        std::env::var("SHELL")
            .ok()
            .and_then(|s| Self::from_name(&s))
            .unwrap_or_default()
    }

    fn program(self) -> &'static str {
        match self {
            Self::Bash | Self::Sh => "bash",
            Self::Zsh => "zsh",
        }
    }
}

/// The start-up files of one shell. bash removes them itself once it has read them (so
/// a killed Cuedeck leaves none); they are removed when dropped otherwise (zsh).
#[derive(Debug)]
pub struct Integration {
    _dir: TempDir,
}

impl Integration {
    /// Writes the rc files for `kind` and returns the command that starts the shell.
    /// `login` makes the shell read the login files (`/etc/profile`, `~/.profile`, ...)
    /// as a login shell would, so PATH is the user's even from a desktop launcher.
    pub fn prepare(
        kind: ShellKind,
        program: Option<&Path>,
        login: bool,
    ) -> Result<(Self, CommandBuilder)> {
        let dir = tempfile::Builder::new()
            .prefix("cuedeck-shell-")
            .tempdir()
            .map_err(TerminalError::Integration)?;
        let program = program.map_or_else(|| PathBuf::from(kind.program()), Path::to_path_buf);
        let mut cmd = CommandBuilder::new(&program);
        if login {
            cmd.env("CUEDECK_LOGIN", "1");
        }
        match kind {
            ShellKind::Bash | ShellKind::Sh => {
                let rc = write_file(dir.path(), "bashrc", BASH_RC)?;
                if kind == ShellKind::Sh {
                    // In POSIX mode an interactive bash reads `$ENV`, not `--rcfile`.
                    cmd.env("ENV", &rc);
                    cmd.arg("--posix");
                } else {
                    cmd.arg("--rcfile");
                    cmd.arg(rc);
                }
                cmd.arg("-i");
            }
            ShellKind::Zsh => {
                write_file(dir.path(), ".zshenv", ZSH_ENV)?;
                write_file(dir.path(), ".zprofile", ZSH_PROFILE)?;
                write_file(dir.path(), ".zshrc", ZSH_RC)?;
                if let Some(user) = std::env::var_os("ZDOTDIR") {
                    cmd.env("CUEDECK_USER_ZDOTDIR", user);
                }
                cmd.env("ZDOTDIR", dir.path());
                cmd.arg("-i");
                if login {
                    cmd.arg("-l");
                }
            }
        }
        Ok((Self { _dir: dir }, cmd))
    }
}

fn write_file(dir: &Path, name: &str, text: &str) -> Result<PathBuf> {
    let path = dir.join(name);
    fs::write(&path, text).map_err(TerminalError::Integration)?;
    Ok(path)
}

/// The shell's rc puts this folder first on PATH, after the user's own profile.
pub const BIN_DIR_VAR: &str = "CUEDECK_BIN_DIR";
/// The folders a runbook's `PATH: "DIR:$PATH"` puts in front of PATH: the shell's rc
/// prepends them once its start-up files have set PATH.
pub const PATH_PREPEND_VAR: &str = "CUEDECK_PATH_PREPEND";

/// The folder holding the `cuedeck` command beside the running program (the app or
/// the CLI), so runbooks can call `cuedeck demo-service` on a machine where Cuedeck
/// is built but not installed.
pub fn own_bin_dir() -> Option<std::path::PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let dir = exe.parent()?;
    dir.join("cuedeck").is_file().then(|| dir.to_path_buf())
}

/// Where a terminal will find `tool`: on PATH, or beside Cuedeck (see [`own_bin_dir`]).
pub fn tool_path(tool: &str) -> Option<std::path::PathBuf> {
    which::which(tool)
        .ok()
        .or_else(|| own_bin_dir().map(|d| d.join(tool)).filter(|p| p.is_file()))
}

/// bash: the user's files first, then the marks.
const BASH_RC: &str = r#"# Written by Cuedeck: your own start-up files, then OSC 133 prompt marks.
unset ENV
if [ -n "${CUEDECK_LOGIN-}" ]; then
  unset CUEDECK_LOGIN
  [ -r /etc/profile ] && . /etc/profile
  __cuedeck_profile=
  for __cuedeck_f in ~/.bash_profile ~/.bash_login ~/.profile; do
    if [ -r "$__cuedeck_f" ]; then __cuedeck_profile=$__cuedeck_f; . "$__cuedeck_f"; break; fi
  done
  # Most profiles read ~/.bashrc themselves; read it when this one does not.
  if ! grep -qs bashrc "$__cuedeck_profile" 2>/dev/null; then
    [ -r /etc/bash.bashrc ] && . /etc/bash.bashrc
    [ -r ~/.bashrc ] && . ~/.bashrc
  fi
  unset __cuedeck_f __cuedeck_profile
else
  [ -r /etc/bash.bashrc ] && . /etc/bash.bashrc
  [ -r ~/.bashrc ] && . ~/.bashrc
fi
# The runbook's `PATH: "DIR:$PATH"`, after the profile set PATH (a login profile
# rebuilds it); then Cuedeck's own tools (`cuedeck demo-service`) first.
if [ -n "${CUEDECK_PATH_PREPEND-}" ]; then PATH="$CUEDECK_PATH_PREPEND:$PATH"; fi
unset CUEDECK_PATH_PREPEND
if [ -n "${CUEDECK_BIN_DIR-}" ]; then
  case ":$PATH:" in *":$CUEDECK_BIN_DIR:"*) ;; *) PATH="$CUEDECK_BIN_DIR:$PATH" ;; esac
fi

bind 'set enable-bracketed-paste on' 2>/dev/null
bind 'set enable-active-region off' 2>/dev/null

__cuedeck_status() { local ec=$?; printf '\e]133;D;%s\a' "$ec"; return $ec; }
__cuedeck_prompt() {
  local ec=$?
  case "$PS1" in
    *'133;B'*) ;;
    *) PS1='\[\e]133;A\a\]'"$PS1"'\[\e]133;B\a\]' ;;
  esac
  return $ec
}
PS0='\e]133;C\a'"${PS0-}"
if [[ "$(declare -p PROMPT_COMMAND 2>/dev/null)" == "declare -a"* ]]; then
  PROMPT_COMMAND=(__cuedeck_status "${PROMPT_COMMAND[@]}" __cuedeck_prompt)
else
  PROMPT_COMMAND=$'__cuedeck_status\n'"${PROMPT_COMMAND-}"$'\n__cuedeck_prompt'
fi
# Nothing reads this folder after start-up: removed now, so it does not outlive a
# Cuedeck that was killed before it could remove it.
__cuedeck_rc_dir=${BASH_SOURCE[0]%/*}
case $__cuedeck_rc_dir in */cuedeck-shell-*) rm -rf -- "$__cuedeck_rc_dir" ;; esac
unset __cuedeck_rc_dir
"#;

/// zsh reads `$ZDOTDIR/.zshenv` first: read the user's, keep ours for `.zshrc`.
const ZSH_ENV: &str = r#"# Written by Cuedeck.
__cuedeck_zdotdir=$ZDOTDIR
ZDOTDIR=${CUEDECK_USER_ZDOTDIR:-$HOME}
[[ -r $ZDOTDIR/.zshenv ]] && source $ZDOTDIR/.zshenv
ZDOTDIR=$__cuedeck_zdotdir
"#;

const ZSH_PROFILE: &str = r#"# Written by Cuedeck.
__cuedeck_zdotdir=$ZDOTDIR
ZDOTDIR=${CUEDECK_USER_ZDOTDIR:-$HOME}
[[ -r $ZDOTDIR/.zprofile ]] && source $ZDOTDIR/.zprofile
ZDOTDIR=$__cuedeck_zdotdir
"#;

/// zsh: the user's `.zshrc`, then the marks; `.zlogin` is then read from the user's dir.
const ZSH_RC: &str = r#"# Written by Cuedeck: your own .zshrc, then OSC 133 prompt marks.
ZDOTDIR=${CUEDECK_USER_ZDOTDIR:-$HOME}
unset CUEDECK_USER_ZDOTDIR CUEDECK_LOGIN
[[ -r $ZDOTDIR/.zshrc ]] && source $ZDOTDIR/.zshrc
[[ -n ${CUEDECK_PATH_PREPEND-} ]] && PATH="$CUEDECK_PATH_PREPEND:$PATH"
unset CUEDECK_PATH_PREPEND
[[ -n ${CUEDECK_BIN_DIR-} && ":$PATH:" != *":$CUEDECK_BIN_DIR:"* ]] && PATH="$CUEDECK_BIN_DIR:$PATH"
__cuedeck_status() { local ec=$?; print -n "\e]133;D;${ec}\a"; return $ec }
__cuedeck_prompt() {
  [[ $PS1 == *'133;B'* ]] || PS1=$'%{\e]133;A\a%}'"$PS1"$'%{\e]133;B\a%}'
}
__cuedeck_preexec() { print -n "\e]133;C\a" }
precmd_functions=(__cuedeck_status $precmd_functions __cuedeck_prompt)
preexec_functions+=(__cuedeck_preexec)
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_names_are_recognised() {
        assert_eq!(ShellKind::from_name("/bin/zsh"), Some(ShellKind::Zsh));
        assert_eq!(ShellKind::from_name("bash"), Some(ShellKind::Bash));
        assert_eq!(ShellKind::from_name("/usr/bin/dash"), Some(ShellKind::Sh));
        assert_eq!(ShellKind::from_name("fish"), None);
    }

    #[test]
    fn bash_command_reads_the_written_rc() {
        let (integration, cmd) = Integration::prepare(ShellKind::Bash, None, false).unwrap();
        let argv = cmd.get_argv();
        assert_eq!(argv[0], "bash");
        assert_eq!(argv[1], "--rcfile");
        let rc = std::fs::read_to_string(&argv[2]).unwrap();
        assert!(rc.contains("133;D"));
        drop(integration);
        assert!(
            !Path::new(&argv[2]).exists(),
            "the rc is removed with the session"
        );
    }
}
