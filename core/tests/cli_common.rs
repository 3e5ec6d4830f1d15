//! Running the `cuedeck` binary as a user does, for the CLI tests (included with `mod`;
//! not a test itself).
#![allow(dead_code)]

use std::process::Command;

/// `cuedeck SUBCOMMAND ARGS...`: exit code, stdout, stderr.
pub fn cuedeck(subcommand: &str, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_cuedeck"))
        .arg(subcommand)
        .args(args)
        .output()
        .expect("the cuedeck binary runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}
