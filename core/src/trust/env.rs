//! Environment names a runbook may not set. A runbook is untrusted input: its
//! front-matter `env` reaches every shell Cuedeck starts for it, and some names make
//! the shell or the dynamic loader execute their value (`PROMPT_COMMAND`,
//! `BASH_FUNC_ls%%`, `LD_PRELOAD`), or change what every command line means (`IFS`,
//! `SHELLOPTS`), or steer Cuedeck itself (`CUEDECK_*`). Those are refused outright,
//! whatever the presenter trusts. `PATH` may only be prepended to.

use crate::terminal::shell_integration::PATH_PREPEND_VAR;

/// Why the runbook may not set `name`, or `None` when it may.
pub fn blocked_reason(name: &str) -> Option<&'static str> {
    let valid = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if name.starts_with("BASH_FUNC_") {
        return Some("bash imports it as a shell function, which can replace any command");
    }
    if !valid {
        return Some("it is not an environment variable name (letters, digits and `_` only)");
    }
    match name {
        "PROMPT_COMMAND" | "PS0" | "PS1" | "PS2" | "PS3" | "PS4" => {
            Some("the shell runs or expands it at every prompt")
        }
        "BASH_ENV" | "ENV" => Some("the shell runs the file it names when it starts"),
        "ZDOTDIR" => Some("zsh runs the start-up files of the folder it names"),
        "SHELLOPTS" | "BASHOPTS" => Some("it changes how the shell runs every command"),
        "IFS" => Some("it changes how the shell splits every command line"),
        _ if name.starts_with("LD_") => {
            Some("the dynamic loader reads it: it can load code into every program")
        }
        _ if name.starts_with("DYLD_") => {
            Some("the macOS loader reads it: it can load code into every program")
        }
        _ if name.starts_with("CUEDECK_") => Some("Cuedeck's own settings are not the runbook's"),
        _ => None,
    }
}

/// What a runbook's `PATH` value may be: folders put in front of the inherited PATH,
/// written `DIR[:DIR...]:$PATH` (or `${PATH}`). Returns the folders, or `None` for
/// any other value (which would replace the PATH every command is looked up in).
pub fn path_prepend(value: &str) -> Option<&str> {
    let dirs = value
        .strip_suffix(":$PATH")
        .or_else(|| value.strip_suffix(":${PATH}"))?;
    // The folders are used as written: nothing in them may be expanded by a shell.
    let plain = !dirs.is_empty() && !dirs.contains(['$', '`']);
    plain.then_some(dirs)
}

/// Why the runbook's `env` entry `name: value` is refused, or `None`.
pub fn refusal(name: &str, value: &str) -> Option<String> {
    if name == "PATH" {
        return match path_prepend(value) {
            Some(_) => None,
            None => Some(
                "replacing PATH changes which program every command runs: write \
                 `PATH: \"/your/dir:$PATH\"` to put folders in front of it"
                    .into(),
            ),
        };
    }
    blocked_reason(name).map(str::to_owned)
}

/// The environment a runbook's terminals get from its `env`: refused names left out
/// (the trust check refuses such a runbook before anything runs; this is the second
/// lock), and `PATH`'s folders handed to the shell's rc as
/// [`PATH_PREPEND_VAR`], which puts them in front of PATH once the user's start-up
/// files have set it (a login profile rebuilds PATH). Values are passed as they
/// are: nothing in them is evaluated by Cuedeck.
pub fn effective_env<'a>(
    env: impl IntoIterator<Item = (&'a String, &'a String)>,
) -> Vec<(String, String)> {
    env.into_iter()
        .filter_map(|(name, value)| {
            if let Some(why) = refusal(name, value) {
                tracing::warn!(%name, why, "refused environment variable left out");
                return None;
            }
            if name == "PATH" {
                let dirs = path_prepend(value)?;
                return Some((PATH_PREPEND_VAR.to_owned(), dirs.to_owned()));
            }
            Some((name.clone(), value.clone()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_shell_or_loader_executes_are_refused() {
        for name in [
            "PROMPT_COMMAND",
            "PS0",
            "PS1",
            "PS4",
            "BASH_ENV",
            "ENV",
            "ZDOTDIR",
            "BASH_FUNC_ls%%",
            "BASH_FUNC_ls",
            "LD_PRELOAD",
            "LD_LIBRARY_PATH",
            "DYLD_INSERT_LIBRARIES",
            "SHELLOPTS",
            "BASHOPTS",
            "IFS",
            "CUEDECK_TERMINAL",
            "A B",
            "1ABC",
            "",
        ] {
            assert!(blocked_reason(name).is_some(), "{name:?} is refused");
        }
        for name in [
            "API",
            "TOUR_DIR",
            "DEMO_PORT",
            "_PRIVATE",
            "PSX",
            "ENVIRONMENT",
        ] {
            assert_eq!(blocked_reason(name), None, "{name} is fine");
        }
    }

    #[test]
    fn path_may_only_be_prepended_to() {
        assert_eq!(path_prepend("/opt/demo/bin:$PATH"), Some("/opt/demo/bin"));
        assert_eq!(path_prepend("./bin:/opt/x:${PATH}"), Some("./bin:/opt/x"));
        assert_eq!(path_prepend("/tmp/evil"), None);
        assert_eq!(
            path_prepend("$PATH:/opt/x"),
            None,
            "appending is not prepending"
        );
        assert_eq!(path_prepend("$(touch /tmp/x):$PATH"), None);
        assert_eq!(path_prepend(":$PATH"), None);
        assert!(refusal("PATH", "/tmp/evil").is_some());
        assert!(refusal("PATH", "/opt/bin:$PATH").is_none());
    }

    #[test]
    fn the_terminals_get_the_allowed_env_with_path_prepended_and_values_unevaluated() {
        let env: std::collections::BTreeMap<String, String> = [
            ("API", "http://localhost:5001"),
            ("GREETING", "$(touch /tmp/never)"),
            ("PATH", "/opt/demo/bin:$PATH"),
            ("PROMPT_COMMAND", "touch /tmp/x"),
            ("BASH_FUNC_ls%%", "() { echo hijacked; }"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let got = effective_env(&env);
        assert_eq!(
            got,
            vec![
                ("API".to_string(), "http://localhost:5001".to_string()),
                ("GREETING".to_string(), "$(touch /tmp/never)".to_string()),
                (PATH_PREPEND_VAR.to_string(), "/opt/demo/bin".to_string()),
            ]
        );
    }
}
