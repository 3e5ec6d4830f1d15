//! Copies asciinema-player's browser bundle (its JS and CSS, from the UI's npm
//! packages) into OUT_DIR, for the backup bundle (`cuedeck export`) to inline.
//!
//! When the UI's packages are not installed the build still succeeds: empty files
//! are written instead, and `cuedeck export` says how to get the player.

use std::path::{Path, PathBuf};

/// The player's files, relative to `ui/node_modules/asciinema-player/`, and their
/// names in OUT_DIR.
const FILES: &[(&str, &str)] = &[
    (
        "dist/bundle/asciinema-player.min.js",
        "asciinema-player.min.js",
    ),
    ("dist/bundle/asciinema-player.css", "asciinema-player.css"),
];

fn main() {
    let manifest_dir =
        PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets it"));
    let package = manifest_dir.join("../ui/node_modules/asciinema-player");
    // Rerun when the player is installed, upgraded or removed.
    println!(
        "cargo:rerun-if-changed={}",
        package.join("package.json").display()
    );
    for (from, _) in FILES {
        println!("cargo:rerun-if-changed={}", package.join(from).display());
    }
    println!("cargo:rerun-if-changed=build.rs");
    let found = FILES.iter().all(|(from, _)| package.join(from).is_file());
    for (from, to) in FILES {
        let dest = out_dir.join(to);
        let bytes = if found {
            read(&package.join(from))
        } else {
            Vec::new()
        };
        std::fs::write(&dest, bytes)
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", dest.display()));
    }
    let version = if found {
        version(&package.join("package.json"))
    } else {
        String::new()
    };
    std::fs::write(out_dir.join("asciinema-player.version"), version)
        .unwrap_or_else(|e| panic!("cannot write the player's version: {e}"));
    if !found {
        println!(
            "cargo:warning=asciinema-player is not installed in ui/node_modules: \
             `cuedeck export` will refuse to run (run `cargo xtask setup`, or `npm ci` in ui/)"
        );
    }
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// The `"version"` of the package.json (without a JSON parser: the build has no
/// dependencies).
fn version(path: &Path) -> String {
    let text = String::from_utf8_lossy(&read(path)).into_owned();
    text.split_once("\"version\"")
        .and_then(|(_, rest)| rest.split('"').nth(1))
        .unwrap_or("")
        .to_string()
}
