//! `cargo xtask setup`: find what is missing and install it.
//!
//! Detection goes through the [`Probe`] trait and produces a [`Plan`] (what was checked,
//! what will be run, what blocks us), so the decision logic is unit-tested with a fake probe
//! and `--dry-run` prints the plan without changing anything.

use crate::process;
use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::SystemTime;

/// Debian/Ubuntu packages to build and run the app (Tauri's Linux prerequisites).
pub const BUILD_PACKAGES: &[&str] = &[
    "libwebkit2gtk-4.1-dev",
    "build-essential",
    "pkg-config",
    "curl",
    "wget",
    "file",
    "libxdo-dev",
    "libssl-dev",
    "libayatana-appindicator3-dev",
    "librsvg2-dev",
];

/// Extra packages for `cargo xtask test`: the WebDriver of WebKitGTK, a virtual display,
/// ImageMagick for screenshots, x11-utils (xwininfo) to read the native window title,
/// asciinema, which the tests prove reads our recordings, and headless Chromium with its
/// chromedriver, the real browser the backup bundle's test plays an export in, and
/// xmllint (libxml2-utils), which validates `cuedeck rehearse --junit` against the schema,
/// and desktop-file-validate (desktop-file-utils), which checks the package's desktop entry.
pub const TEST_PACKAGES: &[&str] = &[
    "webkit2gtk-driver",
    "xvfb",
    "xauth",
    "imagemagick",
    "x11-utils",
    "asciinema",
    "chromium",
    "chromium-driver",
    "libxml2-utils",
    "desktop-file-utils",
];

/// Extra packages for `cargo xtask bench window`: alacritty, the terminal its `seq` line
/// is measured against (on the same display, at the same grid).
pub const BENCH_PACKAGES: &[&str] = &["alacritty"];

pub const MIN_NODE_MAJOR: u32 = 20;

#[derive(Debug, Clone, PartialEq)]
pub enum Os {
    /// Debian, Ubuntu and their derivatives (apt + dpkg).
    Debian {
        id: String,
    },
    OtherLinux {
        id: String,
    },
    Mac,
    Other(String),
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Purpose {
    /// Build and open the app.
    Run,
    /// Everything `cargo xtask test` needs, end-to-end tests included.
    Test,
    /// What `test` needs, and the window benchmark's baseline terminal.
    Bench,
}

impl Purpose {
    /// Whether the test packages and tauri-driver are wanted (`test` and `bench`).
    fn runs_tests(self) -> bool {
        self != Purpose::Run
    }
}

/// Everything setup looks at, so tests can fake the machine.
pub trait Probe {
    fn os(&self) -> Os;
    fn is_root(&self) -> bool;
    fn which(&self, cmd: &str) -> Option<PathBuf>;
    /// `dpkg-query -W -f='${Status}' PKG` says "... installed".
    fn dpkg_installed(&self, pkg: &str) -> bool;
    /// `node --version`, e.g. "v20.11.1".
    fn node_version(&self) -> Option<String>;
    fn modified(&self, path: &Path) -> Option<SystemTime>;
    fn exists(&self, path: &Path) -> bool;
    /// `pkg-config --exists LIB` (only used off Debian).
    fn pkg_config(&self, lib: &str) -> bool;
    fn cargo_bin_dir(&self) -> Option<PathBuf>;
}

#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    Apt { sudo: bool, packages: Vec<String> },
    NpmCi { dir: PathBuf },
    CargoInstall { krate: String },
}

impl Action {
    pub fn commands(&self) -> Vec<Command> {
        match self {
            Action::Apt { sudo, packages } => {
                let apt = |args: &[&str]| {
                    let mut c = if *sudo {
                        let mut c = Command::new("sudo");
                        c.arg("env");
                        c
                    } else {
                        Command::new("env")
                    };
                    c.arg("DEBIAN_FRONTEND=noninteractive")
                        .arg("apt-get")
                        .args(args);
                    c
                };
                let mut install = apt(&["install", "-y", "--no-install-recommends"]);
                install.args(packages);
                vec![apt(&["update"]), install]
            }
            Action::NpmCi { dir } => {
                let mut c = Command::new("npm");
                c.args(["ci", "--no-audit", "--no-fund"]).current_dir(dir);
                vec![c]
            }
            Action::CargoInstall { krate } => {
                let mut c = Command::new(std::env::var_os("CARGO").unwrap_or("cargo".into()));
                c.args(["install", krate, "--locked"]);
                vec![c]
            }
        }
    }

    /// What to run when the first command fails. `npm ci` refuses a lockfile that lacks
    /// other platforms' optional packages (rollup's), which `npm install` leaves out when the
    /// registry does not serve them (as here); `npm install --no-save` installs the same
    /// locked versions without rewriting the lockfile.
    pub fn fallback(&self) -> Option<(Command, &'static str)> {
        match self {
            Action::NpmCi { dir } => {
                let mut c = Command::new("npm");
                c.args(["install", "--no-save", "--no-audit", "--no-fund"])
                    .current_dir(dir);
                Some((
                    c,
                    "npm ci refused the lockfile (often: other platforms' optional packages \
                     missing from it); installing the locked versions with npm install --no-save",
                ))
            }
            _ => None,
        }
    }

    fn summary(&self) -> String {
        match self {
            Action::Apt { packages, .. } => {
                format!("installing Debian packages: {}", packages.join(" "))
            }
            Action::NpmCi { dir } => {
                format!("installing UI packages (npm ci in {})", dir.display())
            }
            Action::CargoInstall { krate } => format!("installing {krate} (cargo install)"),
        }
    }
}

#[derive(Debug, Default)]
pub struct Plan {
    /// One line per check, saying what was found.
    pub checks: Vec<String>,
    pub actions: Vec<Action>,
    /// What we cannot fix ourselves: each says what to install by hand.
    pub problems: Vec<String>,
    /// Node.js comes from apt in this plan: check its version after installing.
    pub verify_node_after: bool,
}

/// Parses `node --version` ("v20.11.1") into its major version.
pub fn node_major(version: &str) -> Option<u32> {
    version
        .trim()
        .trim_start_matches('v')
        .split('.')
        .next()?
        .parse()
        .ok()
}

/// Reads /etc/os-release text into an [`Os`].
pub fn parse_os_release(text: &str) -> Os {
    let field = |key: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(key)?.strip_prefix('='))
            .map(|v| v.trim().trim_matches('"').to_ascii_lowercase())
            .unwrap_or_default()
    };
    let id = field("ID");
    let like = field("ID_LIKE");
    let debian_like = ["debian", "ubuntu"];
    if debian_like.contains(&id.as_str())
        || like.split_whitespace().any(|l| debian_like.contains(&l))
    {
        Os::Debian { id }
    } else {
        Os::OtherLinux { id }
    }
}

/// Where tauri-driver is: on PATH, or in cargo's bin directory (`cargo install` puts it
/// there, and that directory is not always on PATH).
pub fn find_tauri_driver(probe: &dyn Probe) -> Option<PathBuf> {
    probe.which("tauri-driver").or_else(|| {
        let p = probe.cargo_bin_dir()?.join("tauri-driver");
        probe.exists(&p).then_some(p)
    })
}

pub fn plan(probe: &dyn Probe, purpose: Purpose, ui_dir: &Path) -> Plan {
    let mut plan = Plan::default();
    let os = probe.os();
    let test = purpose.runs_tests();
    match &os {
        Os::Debian { id } => plan_debian(probe, id, purpose, &mut plan),
        Os::Mac => plan_macos(probe, test, &mut plan),
        Os::OtherLinux { id } => plan_other_linux(probe, id, test, &mut plan),
        Os::Other(name) => plan.problems.push(format!(
            "{name} is not supported by `cargo xtask`: build on Debian/Ubuntu, or install Tauri's \
             prerequisites (https://v2.tauri.app/start/prerequisites/) and Node.js >= \
             {MIN_NODE_MAJOR} by hand"
        )),
    }

    // The UI's npm packages, from the committed lockfile.
    let lock = ui_dir.join("package-lock.json");
    if !probe.exists(&ui_dir.join("package.json")) {
        plan.checks.push(format!(
            "UI packages: no {} yet, nothing to install",
            ui_dir.join("package.json").display()
        ));
    } else if !probe.exists(&lock) {
        plan.problems.push(format!(
            "{} is missing: run `npm install` in ui/ once and commit the lockfile",
            lock.display()
        ));
    } else {
        // npm writes node_modules/.package-lock.json on every install.
        let installed = probe.modified(&ui_dir.join("node_modules").join(".package-lock.json"));
        let locked = probe.modified(&lock);
        match (installed, locked) {
            (Some(i), Some(l)) if i >= l => plan
                .checks
                .push("UI packages: node_modules is up to date".into()),
            (None, _) => {
                plan.checks
                    .push("UI packages: ui/node_modules missing".into());
                plan.actions.push(Action::NpmCi {
                    dir: ui_dir.to_owned(),
                });
            }
            _ => {
                plan.checks
                    .push("UI packages: package-lock.json is newer than node_modules".into());
                plan.actions.push(Action::NpmCi {
                    dir: ui_dir.to_owned(),
                });
            }
        }
    }

    if test && matches!(os, Os::Debian { .. } | Os::OtherLinux { .. }) {
        match find_tauri_driver(probe) {
            Some(p) => plan.checks.push(format!("tauri-driver: {}", p.display())),
            None => {
                plan.checks.push("tauri-driver: not found".into());
                plan.actions.push(Action::CargoInstall {
                    krate: "tauri-driver".into(),
                });
            }
        }
    }
    plan
}

fn check_node(probe: &dyn Probe, plan: &mut Plan) -> Option<bool> {
    // Some(true) = fine, Some(false) = too old (problem recorded), None = missing.
    probe.which("node")?;
    match probe.node_version() {
        Some(v) if node_major(&v).is_some_and(|m| m >= MIN_NODE_MAJOR) => {
            plan.checks.push(format!("node: {}", v.trim()));
            Some(true)
        }
        v => {
            let v = v.unwrap_or_else(|| "of unknown version".into());
            plan.problems.push(format!(
                "node {} is too old: the UI needs Node.js >= {MIN_NODE_MAJOR} \
                 (install it from NodeSource's packages or with nvm)",
                v.trim()
            ));
            Some(false)
        }
    }
}

fn plan_debian(probe: &dyn Probe, id: &str, purpose: Purpose, plan: &mut Plan) {
    let test = purpose.runs_tests();
    let wanted: Vec<&str> = BUILD_PACKAGES
        .iter()
        .chain(if test { TEST_PACKAGES } else { &[] })
        .chain(if purpose == Purpose::Bench {
            BENCH_PACKAGES
        } else {
            &[]
        })
        .copied()
        .collect();
    let mut missing: Vec<String> = wanted
        .iter()
        .filter(|p| !probe.dpkg_installed(p))
        .map(|p| p.to_string())
        .collect();
    if missing.is_empty() {
        plan.checks.push(format!(
            "{id} packages: all {} installed (dpkg-query)",
            wanted.len()
        ));
    } else {
        plan.checks.push(format!(
            "{id} packages: {} of {} missing: {}",
            missing.len(),
            wanted.len(),
            missing.join(" ")
        ));
    }
    // The tour (what `run` opens) and the terminal tests drive python3 and bash;
    // python3 may come from elsewhere (pyenv), so it is looked for on PATH.
    for tool in ["python3", "bash"] {
        if probe.which(tool).is_none() {
            plan.checks.push(format!("{tool}: not found"));
            missing.push(tool.into());
        }
    }
    match check_node(probe, plan) {
        None => {
            plan.checks
                .push("node: not found, will install Debian's nodejs and npm".into());
            missing.extend(["nodejs".into(), "npm".into()]);
            plan.verify_node_after = true;
        }
        Some(_) if probe.which("npm").is_none() => {
            plan.checks.push("npm: not found".into());
            missing.push("npm".into());
        }
        Some(_) => {}
    }
    if missing.is_empty() {
        return;
    }
    let sudo = if probe.is_root() {
        false
    } else if probe.which("sudo").is_some() {
        true
    } else {
        plan.problems.push(format!(
            "not root and no sudo: as root, run `apt-get install -y --no-install-recommends {}`",
            missing.join(" ")
        ));
        return;
    };
    plan.actions.push(Action::Apt {
        sudo,
        packages: missing,
    });
}

fn plan_macos(probe: &dyn Probe, test: bool, plan: &mut Plan) {
    if probe.which("xcrun").is_none() {
        plan.problems
            .push("Xcode Command Line Tools: run `xcode-select --install`".into());
    } else {
        plan.checks.push("Xcode Command Line Tools: found".into());
    }
    if check_node(probe, plan).is_none() || probe.which("npm").is_none() {
        plan.problems.push(format!(
            "Node.js >= {MIN_NODE_MAJOR} with npm: `brew install node@{MIN_NODE_MAJOR}` or https://nodejs.org"
        ));
    }
    if test {
        plan.checks.push(
            "end-to-end tests: tauri-driver does not support macOS, use `cargo xtask test --no-e2e` here"
                .into(),
        );
    }
}

/// Tauri's prerequisites for the common non-Debian distributions.
fn other_linux_hint(id: &str) -> String {
    match id {
        "fedora" | "rhel" | "centos" => "sudo dnf install webkit2gtk4.1-devel openssl-devel curl wget file \
             libappindicator-gtk3-devel librsvg2-devel libxdo-devel && sudo dnf group install \
             \"c-development\"; for tests: sudo dnf install xorg-x11-server-Xvfb xauth ImageMagick asciinema \
             (WebKitWebDriver is in webkit2gtk4.1)"
            .into(),
        "arch" | "manjaro" | "endeavouros" => "sudo pacman -S --needed webkit2gtk-4.1 base-devel curl wget file \
             openssl appmenu-gtk-module libappindicator-gtk3 librsvg xdotool; for tests: sudo pacman \
             -S xorg-server-xvfb xorg-xauth imagemagick asciinema (WebKitWebDriver is in webkit2gtk-4.1)"
            .into(),
        "opensuse-tumbleweed" | "opensuse-leap" | "opensuse" => "sudo zypper in webkit2gtk3-devel libopenssl-devel curl wget file \
             libappindicator3-1 librsvg-devel && sudo zypper in -t pattern devel_basis; for \
             tests: xvfb-run, xauth, ImageMagick, asciinema and WebKitGTK's WebKitWebDriver"
            .into(),
        _ => "Tauri's Linux prerequisites (WebKitGTK 4.1 development files, a C toolchain, \
              OpenSSL, librsvg, libxdo, libayatana-appindicator: \
              https://v2.tauri.app/start/prerequisites/); for tests: Xvfb, xauth, ImageMagick and \
              WebKitGTK's WebKitWebDriver"
            .into(),
    }
}

fn plan_other_linux(probe: &dyn Probe, id: &str, test: bool, plan: &mut Plan) {
    let mut missing = Vec::new();
    if !probe.pkg_config("webkit2gtk-4.1") {
        missing.push("webkit2gtk-4.1 (pkg-config)");
    }
    if test {
        for tool in ["Xvfb", "WebKitWebDriver", "xauth", "python3"] {
            if probe.which(tool).is_none() {
                missing.push(tool);
            }
        }
    }
    if check_node(probe, plan).is_none() || probe.which("npm").is_none() {
        missing.push("node >= 20 + npm");
    }
    if missing.is_empty() {
        plan.checks
            .push(format!("{id}: WebKitGTK 4.1 and the test tools found"));
    } else {
        plan.problems.push(format!(
            "{id} is not Debian/Ubuntu, so nothing is installed automatically. Missing: {}. \
             Install: {}",
            missing.join(", "),
            other_linux_hint(id)
        ));
    }
}

/// Runs the plan (or only prints it with `dry_run`).
pub fn execute(plan: &Plan, dry_run: bool, probe: &dyn Probe) -> Result<()> {
    for c in &plan.checks {
        println!("setup: {c}");
    }
    if !plan.problems.is_empty() {
        for p in &plan.problems {
            eprintln!("setup: MISSING: {p}");
        }
        bail!("set-up cannot continue: install what is listed above by hand, then run again");
    }
    for action in &plan.actions {
        println!("setup: {}", action.summary());
        for mut cmd in action.commands() {
            if dry_run {
                println!("setup: (dry run) would run: {}", process::describe(&cmd));
            } else {
                println!("setup: running: {}", process::describe(&cmd));
                if let Err(e) = process::run(&mut cmd) {
                    let Some((mut fallback, why)) = action.fallback() else {
                        return Err(e.context(action.summary()));
                    };
                    println!("setup: {why}");
                    println!("setup: running: {}", process::describe(&fallback));
                    process::run(&mut fallback)
                        .with_context(|| format!("{} (after: {e:#})", action.summary()))?;
                }
            }
        }
    }
    if plan.verify_node_after && !dry_run {
        let v = probe
            .node_version()
            .context("node is still not on PATH after apt-get install")?;
        if node_major(&v).is_none_or(|m| m < MIN_NODE_MAJOR) {
            bail!(
                "apt installed node {}, but the UI needs Node.js >= {MIN_NODE_MAJOR}: install it \
                 from NodeSource's packages (nodejs) or with nvm, then run again",
                v.trim()
            );
        }
        println!("setup: node: {}", v.trim());
    }
    if plan.actions.is_empty() {
        println!("setup: nothing to install");
    } else if dry_run {
        println!("setup: (dry run) nothing was changed");
    }
    Ok(())
}

/// The real machine.
pub struct RealProbe;

impl Probe for RealProbe {
    fn os(&self) -> Os {
        if cfg!(target_os = "macos") {
            Os::Mac
        } else if cfg!(target_os = "linux") {
            match std::fs::read_to_string("/etc/os-release") {
                Ok(t) => parse_os_release(&t),
                Err(_) => Os::OtherLinux { id: "linux".into() },
            }
        } else {
            Os::Other(std::env::consts::OS.into())
        }
    }

    fn is_root(&self) -> bool {
        #[cfg(unix)]
        // SAFETY: geteuid has no preconditions.
        unsafe {
            libc::geteuid() == 0
        }
        #[cfg(not(unix))]
        false
    }

    fn which(&self, cmd: &str) -> Option<PathBuf> {
        process::which(cmd)
    }

    fn dpkg_installed(&self, pkg: &str) -> bool {
        Command::new("dpkg-query")
            .args(["-W", "-f=${Status}", pkg])
            .stderr(Stdio::null())
            .output()
            .ok()
            .filter(|o| o.status.success())
            .is_some_and(|o| {
                // "install ok installed" (or "hold ok installed").
                String::from_utf8_lossy(&o.stdout).split_whitespace().nth(2) == Some("installed")
            })
    }

    fn node_version(&self) -> Option<String> {
        let o = Command::new("node").arg("--version").output().ok()?;
        o.status
            .success()
            .then(|| String::from_utf8_lossy(&o.stdout).trim().to_owned())
    }

    fn modified(&self, path: &Path) -> Option<SystemTime> {
        path.metadata().ok()?.modified().ok()
    }

    fn exists(&self, path: &Path) -> bool {
        path.exists()
    }

    fn pkg_config(&self, lib: &str) -> bool {
        Command::new("pkg-config")
            .args(["--exists", lib])
            .status()
            .is_ok_and(|s| s.success())
    }

    fn cargo_bin_dir(&self) -> Option<PathBuf> {
        let home = std::env::var_os("CARGO_HOME")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))?;
        Some(home.join("bin"))
    }
}

/// `cargo xtask setup`, also the first stage of `run` and `test`.
pub fn setup(ui_dir: &Path, purpose: Purpose, dry_run: bool) -> Result<()> {
    let probe = RealProbe;
    let plan = plan(&probe, purpose, ui_dir);
    execute(&plan, dry_run, &probe)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;
    use std::time::Duration;

    struct Fake {
        os: Os,
        root: bool,
        commands: Vec<&'static str>,
        installed: Vec<&'static str>,
        node: Option<&'static str>,
        files: HashMap<PathBuf, SystemTime>,
        pkg_config: bool,
    }

    fn debian_with_everything() -> Fake {
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let mut files = HashMap::new();
        files.insert(PathBuf::from("/r/ui/package.json"), t0);
        files.insert(PathBuf::from("/r/ui/package-lock.json"), t0);
        files.insert(
            PathBuf::from("/r/ui/node_modules/.package-lock.json"),
            t0 + Duration::from_secs(5),
        );
        Fake {
            os: Os::Debian {
                id: "debian".into(),
            },
            root: true,
            commands: vec!["node", "npm", "python3", "bash", "sudo", "tauri-driver"],
            installed: BUILD_PACKAGES
                .iter()
                .chain(TEST_PACKAGES)
                .copied()
                .collect(),
            node: Some("v20.20.2"),
            files,
            pkg_config: true,
        }
    }

    impl Probe for Fake {
        fn os(&self) -> Os {
            self.os.clone()
        }
        fn is_root(&self) -> bool {
            self.root
        }
        fn which(&self, cmd: &str) -> Option<PathBuf> {
            self.commands
                .contains(&cmd)
                .then(|| PathBuf::from("/usr/bin").join(cmd))
        }
        fn dpkg_installed(&self, pkg: &str) -> bool {
            self.installed.contains(&pkg)
        }
        fn node_version(&self) -> Option<String> {
            self.node.map(String::from)
        }
        fn modified(&self, path: &Path) -> Option<SystemTime> {
            self.files.get(path).copied()
        }
        fn exists(&self, path: &Path) -> bool {
            self.files.contains_key(path)
        }
        fn pkg_config(&self, _lib: &str) -> bool {
            self.pkg_config
        }
        fn cargo_bin_dir(&self) -> Option<PathBuf> {
            Some("/home/u/.cargo/bin".into())
        }
    }

    fn ui() -> &'static Path {
        Path::new("/r/ui")
    }

    #[test]
    fn complete_machine_needs_nothing() {
        let plan = plan(&debian_with_everything(), Purpose::Test, ui());
        assert!(plan.actions.is_empty(), "{:?}", plan.actions);
        assert!(plan.problems.is_empty(), "{:?}", plan.problems);
        let all = format!(
            "all {} installed",
            BUILD_PACKAGES.len() + TEST_PACKAGES.len()
        );
        assert!(
            plan.checks.iter().any(|c| c.contains(&all)),
            "{:?}",
            plan.checks
        );
    }

    #[test]
    fn missing_packages_are_installed_with_one_apt_call() {
        let mut f = debian_with_everything();
        f.installed.retain(|p| *p != "xvfb" && *p != "libssl-dev");
        let plan = plan(&f, Purpose::Test, ui());
        assert_eq!(
            plan.actions,
            vec![Action::Apt {
                sudo: false,
                packages: vec!["libssl-dev".into(), "xvfb".into()]
            }]
        );
        let cmds: Vec<String> = plan.actions[0]
            .commands()
            .iter()
            .map(process::describe)
            .collect();
        assert_eq!(
            cmds,
            vec![
                "env DEBIAN_FRONTEND=noninteractive apt-get update",
                "env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends libssl-dev xvfb"
            ]
        );
    }

    #[test]
    fn the_window_benchmark_installs_alacritty_and_the_tests_do_not() {
        let f = debian_with_everything();
        let plan = super::plan(&f, Purpose::Test, ui());
        assert!(plan.actions.is_empty(), "{:?}", plan.actions);
        let plan = super::plan(&f, Purpose::Bench, ui());
        assert_eq!(
            plan.actions,
            vec![Action::Apt {
                sudo: false,
                packages: vec!["alacritty".into()]
            }]
        );
    }

    #[test]
    fn run_does_not_need_test_packages_or_tauri_driver() {
        let mut f = debian_with_everything();
        f.installed.retain(|p| !TEST_PACKAGES.contains(p));
        f.commands.retain(|c| *c != "tauri-driver");
        let plan = plan(&f, Purpose::Run, ui());
        assert!(plan.actions.is_empty(), "{:?}", plan.actions);
        let plan = super::plan(&f, Purpose::Test, ui());
        assert_eq!(plan.actions.len(), 2, "{:?}", plan.actions);
        assert!(
            matches!(&plan.actions[0], Action::Apt { packages, .. } if packages.len() == TEST_PACKAGES.len())
        );
        assert_eq!(
            plan.actions[1],
            Action::CargoInstall {
                krate: "tauri-driver".into()
            }
        );
    }

    #[test]
    fn tauri_driver_in_cargo_bin_counts_as_installed() {
        let mut f = debian_with_everything();
        f.commands.retain(|c| *c != "tauri-driver");
        f.files.insert(
            "/home/u/.cargo/bin/tauri-driver".into(),
            SystemTime::UNIX_EPOCH,
        );
        let plan = plan(&f, Purpose::Test, ui());
        assert!(plan.actions.is_empty(), "{:?}", plan.actions);
    }

    #[test]
    fn not_root_uses_sudo_or_says_what_to_run() {
        let mut f = debian_with_everything();
        f.root = false;
        f.installed.retain(|p| *p != "xauth");
        let plan = plan(&f, Purpose::Test, ui());
        assert!(matches!(plan.actions[0], Action::Apt { sudo: true, .. }));
        let first = process::describe(&plan.actions[0].commands()[0]);
        assert_eq!(
            first,
            "sudo env DEBIAN_FRONTEND=noninteractive apt-get update"
        );

        f.commands.retain(|c| *c != "sudo");
        let plan = super::plan(&f, Purpose::Test, ui());
        assert!(plan.actions.is_empty());
        assert!(plan.problems[0].contains("apt-get install -y --no-install-recommends xauth"));
    }

    #[test]
    fn missing_node_comes_from_apt_and_is_checked_after() {
        let mut f = debian_with_everything();
        f.commands.retain(|c| *c != "node" && *c != "npm");
        f.node = None;
        let plan = plan(&f, Purpose::Run, ui());
        assert!(plan.verify_node_after);
        assert_eq!(
            plan.actions,
            vec![Action::Apt {
                sudo: false,
                packages: vec!["nodejs".into(), "npm".into()]
            }]
        );
    }

    #[test]
    fn old_node_is_a_problem_not_an_install() {
        let mut f = debian_with_everything();
        f.node = Some("v18.19.0");
        let plan = plan(&f, Purpose::Run, ui());
        assert!(plan.actions.is_empty());
        assert!(
            plan.problems[0].contains("node v18.19.0 is too old"),
            "{:?}",
            plan.problems
        );
    }

    #[test]
    fn npm_ci_when_node_modules_missing_or_stale() {
        let mut f = debian_with_everything();
        f.files
            .remove(Path::new("/r/ui/node_modules/.package-lock.json"));
        let plan = plan(&f, Purpose::Run, ui());
        assert_eq!(plan.actions, vec![Action::NpmCi { dir: ui().into() }]);

        f.files.insert(
            "/r/ui/node_modules/.package-lock.json".into(),
            SystemTime::UNIX_EPOCH,
        );
        let plan = super::plan(&f, Purpose::Run, ui());
        assert_eq!(plan.actions, vec![Action::NpmCi { dir: ui().into() }]);
        assert!(plan
            .checks
            .iter()
            .any(|c| c.contains("newer than node_modules")));
    }

    #[test]
    fn package_json_without_lockfile_is_a_problem() {
        let mut f = debian_with_everything();
        f.files.remove(Path::new("/r/ui/package-lock.json"));
        let plan = plan(&f, Purpose::Run, ui());
        assert!(plan.problems[0].contains("package-lock.json is missing"));
    }

    #[test]
    fn macos_and_other_distros_say_what_to_install() {
        let mut f = debian_with_everything();
        f.os = Os::Mac;
        f.commands.retain(|c| *c != "node");
        let plan = plan(&f, Purpose::Run, ui());
        assert!(plan.actions.is_empty());
        let all = plan.problems.join("\n");
        assert!(all.contains("xcode-select --install"), "{all}");
        assert!(all.contains("brew install node@20"), "{all}");

        let mut f = debian_with_everything();
        f.os = Os::OtherLinux {
            id: "fedora".into(),
        };
        f.pkg_config = false;
        let plan = super::plan(&f, Purpose::Test, ui());
        assert!(
            plan.problems[0].contains("webkit2gtk4.1-devel"),
            "{:?}",
            plan.problems
        );
        assert!(plan.problems[0].contains("Xvfb"), "{:?}", plan.problems);
        // tauri-driver is still installed by cargo, which works everywhere.
        f.pkg_config = true;
        f.commands.extend(["Xvfb", "WebKitWebDriver", "xauth"]);
        let plan = super::plan(&f, Purpose::Test, ui());
        assert!(plan.problems.is_empty(), "{:?}", plan.problems);
    }

    #[test]
    fn os_release_detection() {
        assert_eq!(
            parse_os_release("PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\n"),
            Os::Debian {
                id: "debian".into()
            }
        );
        assert_eq!(
            parse_os_release("ID=linuxmint\nID_LIKE=\"ubuntu debian\"\n"),
            Os::Debian {
                id: "linuxmint".into()
            }
        );
        assert_eq!(
            parse_os_release("ID=\"fedora\"\nVERSION_ID=40\n"),
            Os::OtherLinux {
                id: "fedora".into()
            }
        );
    }

    #[test]
    fn node_versions() {
        assert_eq!(node_major("v20.20.2\n"), Some(20));
        assert_eq!(node_major("v9.1.0"), Some(9));
        assert_eq!(node_major("garbage"), None);
    }
}
