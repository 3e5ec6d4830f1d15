//! Running the `cuedeck` binary as a user does, for the CLI tests (included with `mod`;
//! not a test itself).
#![allow(dead_code)]

use std::process::Command;

/// `cuedeck SUBCOMMAND ARGS...`: exit code, stdout, stderr.
pub fn cuedeck(subcommand: &str, args: &[&str]) -> (i32, String, String) {
    output(command().arg(subcommand).args(args))
}

/// The `cuedeck` binary, for a test that sets a working folder or env first.
pub fn command() -> Command {
    Command::new(env!("CARGO_BIN_EXE_cuedeck"))
}

/// Runs `cmd` to its end: exit code, stdout, stderr.
pub fn output(cmd: &mut Command) -> (i32, String, String) {
    let out = cmd.output().expect("the cuedeck binary runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}
