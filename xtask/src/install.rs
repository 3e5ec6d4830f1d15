//! The install stage: the `.deb` as a user gets it, installed, used and removed.
//!
//! As root, on a machine where no Cuedeck package is installed already, the package goes in
//! with `dpkg -i` and out with `dpkg --purge`, as a user's would; otherwise (not root, or a
//! Cuedeck the user installed that must not be replaced) it is unpacked with `dpkg-deb -x`
//! into a temporary root. Either way the installed `cuedeck` answers `--version` and checks
//! the installed tour, the installed app is started under Xvfb and must show its start page
//! and the tour (the e2e test `install.rs`), and afterwards none of the package's files is
//! left.

use crate::bundle::{self, Profile, INSTALLED_CLI};
use crate::e2e::{self, Selection};
use crate::process;
use crate::setup::{Probe, RealProbe};
use crate::workspace::Workspace;
use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};
use std::process::Command;

const PACKAGE: &str = "cuedeck";
const INSTALLED_APP: &str = "/usr/bin/cuedeck-app";
const INSTALLED_TOUR: &str = "/usr/share/cuedeck/runbooks/tour.md";
const DESKTOP_ENTRY: &str = "/usr/share/applications/Cuedeck.desktop";

/// Where the package went.
enum Place {
    /// `dpkg -i`: the files are under `/`.
    System,
    /// `dpkg-deb -x` into this folder.
    Unpacked(PathBuf),
}

impl Place {
    fn root(&self) -> &Path {
        match self {
            Place::System => Path::new("/"),
            Place::Unpacked(dir) => dir,
        }
    }

    /// `path` (absolute, as in the package) where it was installed.
    fn file(&self, path: &str) -> PathBuf {
        self.root().join(path.trim_start_matches('/'))
    }
}

/// Builds the debug package and runs the whole install test on it.
pub fn install_test(ws: &Workspace) -> Result<()> {
    let deb = bundle::bundle(ws, Profile::Debug)?;
    let files = package_files(&deb)?;
    for wanted in [INSTALLED_CLI, INSTALLED_APP, INSTALLED_TOUR, DESKTOP_ENTRY] {
        if !files.iter().any(|f| f == wanted) {
            bail!("{} does not contain {wanted}", deb.display());
        }
    }
    if !files
        .iter()
        .any(|f| f.starts_with("/usr/share/icons/hicolor/"))
    {
        bail!("{} contains no icon", deb.display());
    }
    println!("install: {} holds {} files", deb.display(), files.len());

    let place = install(&deb)?;
    let result = use_installed(ws, &place);
    let removed = uninstall(&place);
    result?;
    removed?;
    let left: Vec<&String> = files
        .iter()
        .filter(|f| place.file(f).symlink_metadata().is_ok())
        .collect();
    if !left.is_empty() {
        bail!("uninstalling left these behind: {left:?}");
    }
    if place.file("/usr/share/cuedeck").exists() {
        bail!("uninstalling left /usr/share/cuedeck behind");
    }
    println!("install: removed, nothing of the package is left");
    Ok(())
}

/// The files (not folders) the package installs, as absolute paths.
fn package_files(deb: &Path) -> Result<Vec<String>> {
    let listing = process::output(Command::new("dpkg-deb").arg("--contents").arg(deb))
        .context("listing the package (dpkg-deb is part of dpkg)")?;
    Ok(parse_contents(&listing))
}

/// `dpkg-deb --contents` prints `tar -tv` lines: mode, owner, size, date, time, path
/// (`usr/bin/x` or `./usr/bin/x`, and `-> target` for links). Folders (mode `d`) are left
/// out.
fn parse_contents(listing: &str) -> Vec<String> {
    listing
        .lines()
        .filter(|line| !line.starts_with('d'))
        .filter_map(|line| {
            let path = line.split_whitespace().nth(5)?;
            let path = path.trim_start_matches("./").trim_start_matches('/');
            (!path.is_empty()).then(|| format!("/{path}"))
        })
        .collect()
}

fn install(deb: &Path) -> Result<Place> {
    let probe = RealProbe;
    let system = probe.is_root() && !probe.dpkg_installed(PACKAGE);
    if system {
        let mut cmd = Command::new("dpkg");
        cmd.arg("-i").arg(deb);
        println!("==> {}", process::describe(&cmd));
        process::run(&mut cmd).context("installing the package")?;
        return Ok(Place::System);
    }
    let why = if probe.is_root() {
        "a Cuedeck package is installed on this machine and is left alone"
    } else {
        "not root"
    };
    let dir = std::env::temp_dir().join(format!("cuedeck-install-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let mut cmd = Command::new("dpkg-deb");
    cmd.arg("-x").arg(deb).arg(&dir);
    println!(
        "==> {}  ({why}: unpacked, not installed)",
        process::describe(&cmd)
    );
    process::run(&mut cmd).context("unpacking the package")?;
    Ok(Place::Unpacked(dir))
}

fn uninstall(place: &Place) -> Result<()> {
    match place {
        Place::System => {
            let mut cmd = Command::new("dpkg");
            cmd.args(["--purge", PACKAGE]);
            println!("==> {}", process::describe(&cmd));
            process::run(&mut cmd).context("removing the package")
        }
        Place::Unpacked(dir) => {
            std::fs::remove_dir_all(dir).with_context(|| format!("removing {}", dir.display()))
        }
    }
}

/// The installed CLI and app, used as a user would.
fn use_installed(ws: &Workspace, place: &Place) -> Result<()> {
    let cli = place.file(INSTALLED_CLI);
    let version = process::output(Command::new(&cli).arg("--version"))
        .context("running the installed `cuedeck --version`")?;
    let wanted = format!("cuedeck {}", env!("CARGO_PKG_VERSION"));
    if version.trim() != wanted {
        bail!("the installed `cuedeck --version` printed {version:?}, not {wanted:?}");
    }
    println!("install: {} --version: {}", cli.display(), version.trim());

    let mut check = Command::new(&cli);
    check.arg("check").arg(place.file(INSTALLED_TOUR));
    println!("==> {}", process::describe(&check));
    process::run(&mut check).context("the installed `cuedeck check` on the installed tour")?;

    validate_desktop_entry(&place.file(DESKTOP_ENTRY))?;
    e2e::run(ws, Selection::Installed(place.file(INSTALLED_APP)))
}

/// The desktop entry is valid and opens Markdown files with the app.
fn validate_desktop_entry(entry: &Path) -> Result<()> {
    let text = std::fs::read_to_string(entry)
        .with_context(|| format!("reading the installed {}", entry.display()))?;
    let key = |k: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(k)?.strip_prefix('='))
            .unwrap_or_default()
            .to_owned()
    };
    if !key("MimeType").split(';').any(|m| m == "text/markdown") {
        bail!("{} does not open text/markdown files", entry.display());
    }
    if key("Exec") != "cuedeck-app %f" {
        bail!(
            "{}: Exec is {:?}, not `cuedeck-app %f`",
            entry.display(),
            key("Exec")
        );
    }
    let validate = process::which("desktop-file-validate").context(
        "desktop-file-validate not found (Debian package `desktop-file-utils`; \
         `cargo xtask setup` installs it)",
    )?;
    let mut cmd = Command::new(validate);
    cmd.arg(entry);
    println!("==> {}", process::describe(&cmd));
    process::run(&mut cmd).context("the desktop entry is not valid")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contents_are_read_as_files_without_folders() {
        let listing = "\
drwxr-xr-x 0/0               0 2026-12-02 10:00 ./
drwxr-xr-x 0/0               0 2026-12-02 10:00 usr/bin
-rwxr-xr-x 0/0        31337000 2026-12-02 10:00 usr/bin/cuedeck-app
-rw-r--r-- 0/0             300 2026-12-02 10:00 ./usr/share/applications/Cuedeck.desktop
lrwxrwxrwx 0/0               0 2026-12-02 10:00 ./usr/bin/cd -> cuedeck
";
        assert_eq!(
            parse_contents(listing),
            [
                "/usr/bin/cuedeck-app",
                "/usr/share/applications/Cuedeck.desktop",
                "/usr/bin/cd"
            ]
        );
    }

    #[test]
    fn an_unpacked_file_is_under_its_root() {
        let place = Place::Unpacked(PathBuf::from("/tmp/r"));
        assert_eq!(
            place.file(INSTALLED_CLI),
            Path::new("/tmp/r/usr/bin/cuedeck")
        );
        assert_eq!(
            Place::System.file(INSTALLED_TOUR),
            Path::new(INSTALLED_TOUR)
        );
    }
}
