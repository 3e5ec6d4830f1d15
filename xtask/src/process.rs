//! Running commands, and background processes that are always cleaned up.
//!
//! Background processes (Xvfb, tauri-driver) are started in their own process group with a
//! parent-death signal, registered globally, and stopped by [`Background::drop`], by
//! [`shutdown_all`] from the Ctrl-C handler, or by the kernel if xtask itself is killed.
//! Stopping takes the whole tree: the group, every descendant found in /proc (WebKitWebDriver,
//! the app it started), SIGTERM first, SIGKILL after a grace period.

use anyhow::{bail, Context, Result};
use std::fs::File;
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// A command as a person would type it: `program arg arg` (with `(in DIR)` when it has one).
pub fn describe(cmd: &Command) -> String {
    let mut s = cmd.get_program().to_string_lossy().into_owned();
    for a in cmd.get_args() {
        let a = a.to_string_lossy();
        if a.is_empty() || a.contains(char::is_whitespace) {
            s.push_str(&format!(" '{a}'"));
        } else {
            s.push(' ');
            s.push_str(&a);
        }
    }
    if let Some(dir) = cmd.get_current_dir() {
        s.push_str(&format!("  (in {})", dir.display()));
    }
    s
}

/// Runs `cmd` with inherited stdio; an error names the command and its exit status.
pub fn run(cmd: &mut Command) -> Result<()> {
    let what = describe(cmd);
    let status = cmd
        .status()
        .with_context(|| format!("could not start `{what}` (is it installed and on PATH?)"))?;
    if !status.success() {
        bail!("`{what}` failed ({status})");
    }
    Ok(())
}

/// Runs `cmd` and returns its stdout; stderr is inherited.
pub fn output(cmd: &mut Command) -> Result<String> {
    let what = describe(cmd);
    let out = cmd
        .stderr(Stdio::inherit())
        .output()
        .with_context(|| format!("could not start `{what}`"))?;
    if !out.status.success() {
        bail!("`{what}` failed ({})", out.status);
    }
    String::from_utf8(out.stdout).with_context(|| format!("`{what}` printed non-UTF-8 output"))
}

/// Finds an executable named `name` on PATH.
pub fn which(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| is_executable(p))
}

pub fn is_executable(p: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        p.metadata()
            .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
            .unwrap_or(false)
    }
    #[cfg(not(unix))]
    {
        p.is_file()
    }
}

/// Polls a TCP port until it accepts a connection, `alive` says the server died, or the
/// deadline passes.
pub fn wait_for_port(
    addr: SocketAddr,
    timeout: Duration,
    mut alive: impl FnMut() -> Result<()>,
) -> Result<Duration> {
    let start = Instant::now();
    loop {
        if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            return Ok(start.elapsed());
        }
        alive()?;
        if start.elapsed() > timeout {
            bail!("nothing answered on {addr} within {timeout:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// True when something already listens on `addr`.
pub fn port_in_use(addr: SocketAddr) -> bool {
    TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok()
}

/// Process-group leaders started by [`Background::spawn`] and not yet stopped.
static REGISTRY: Mutex<Vec<i32>> = Mutex::new(Vec::new());

/// Installs the Ctrl-C / SIGTERM / SIGHUP handler that stops every background process, and
/// makes xtask a child subreaper so that orphaned grandchildren stay findable.
pub fn install_signal_handler() -> Result<()> {
    #[cfg(target_os = "linux")]
    // SAFETY: prctl with these arguments only changes this process's own attributes.
    unsafe {
        libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
    }
    ctrlc::set_handler(|| {
        eprintln!("\nxtask: interrupted, stopping background processes...");
        shutdown_all();
        std::process::exit(130);
    })
    .context("could not install the Ctrl-C handler")
}

/// Stops every registered background process tree (used on Ctrl-C).
pub fn shutdown_all() {
    let roots: Vec<i32> = match REGISTRY.lock() {
        Ok(mut r) => std::mem::take(&mut *r),
        Err(p) => std::mem::take(&mut *p.into_inner()),
    };
    if !roots.is_empty() {
        terminate_trees(&roots, Duration::from_secs(3));
    }
}

/// A process started in its own process group, logging to a file, stopped (with everything
/// it started) when dropped.
pub struct Background {
    pub name: String,
    child: Child,
    pub log: PathBuf,
    stopped: bool,
}

impl Background {
    pub fn spawn(name: &str, cmd: &mut Command, log: &Path) -> Result<Self> {
        let what = describe(cmd);
        let out = File::create(log).with_context(|| format!("creating {}", log.display()))?;
        let err = out.try_clone().context("duplicating a log file handle")?;
        cmd.stdin(Stdio::null()).stdout(out).stderr(err);
        #[cfg(unix)]
        {
            use std::os::unix::process::CommandExt;
            cmd.process_group(0);
            #[cfg(target_os = "linux")]
            // SAFETY: prctl is async-signal-safe; it only sets this child's parent-death signal.
            unsafe {
                cmd.pre_exec(|| {
                    libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM, 0, 0, 0);
                    Ok(())
                });
            }
        }
        let child = cmd
            .spawn()
            .with_context(|| format!("could not start {name}: `{what}`"))?;
        if let Ok(mut r) = REGISTRY.lock() {
            r.push(child.id() as i32);
        }
        Ok(Self {
            name: name.to_owned(),
            child,
            log: log.to_owned(),
            stopped: false,
        })
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Err (with the tail of its log) when the process has already exited.
    pub fn check_alive(&mut self) -> Result<()> {
        if let Some(status) = self.child.try_wait().context("waiting on a child")? {
            bail!(
                "{} exited early ({status}); last lines of {}:\n{}",
                self.name,
                self.log.display(),
                tail(&self.log, 20)
            );
        }
        Ok(())
    }

    /// Stops the process, its group and all its descendants; returns what was stopped.
    pub fn stop(&mut self) -> Vec<String> {
        if std::mem::replace(&mut self.stopped, true) {
            return Vec::new();
        }
        let pid = self.child.id() as i32;
        if let Ok(mut r) = REGISTRY.lock() {
            r.retain(|p| *p != pid);
        }
        let stopped = terminate_trees(&[pid], Duration::from_secs(3));
        let _ = self.child.wait();
        stopped
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        let stopped = self.stop();
        if !stopped.is_empty() {
            eprintln!("cleanup: stopped {} ({})", self.name, stopped.join(", "));
        }
    }
}

/// The last `n` lines of a text file, for error messages.
pub fn tail(path: &Path, n: usize) -> String {
    let text = std::fs::read(path)
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

#[derive(Debug, Clone, PartialEq)]
pub struct ProcInfo {
    pub pid: i32,
    pub ppid: i32,
    pub pgrp: i32,
    pub state: char,
    pub comm: String,
}

/// Parses /proc/PID/stat: `pid (comm) state ppid pgrp ...`; comm may hold spaces and ')'.
pub fn parse_stat(text: &str) -> Option<ProcInfo> {
    let open = text.find('(')?;
    let close = text.rfind(')')?;
    let pid = text[..open].trim().parse().ok()?;
    let comm = text[open + 1..close].to_owned();
    let mut rest = text[close + 1..].split_whitespace();
    let state = rest.next()?.chars().next()?;
    let ppid = rest.next()?.parse().ok()?;
    let pgrp = rest.next()?.parse().ok()?;
    Some(ProcInfo {
        pid,
        ppid,
        pgrp,
        state,
        comm,
    })
}

/// Every live process, as read from /proc (empty where there is no /proc).
pub fn snapshot() -> Vec<ProcInfo> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.filter_map(|e| {
        let e = e.ok()?;
        e.file_name().to_str()?.parse::<i32>().ok()?;
        let text = std::fs::read_to_string(e.path().join("stat")).ok()?;
        parse_stat(&text)
    })
    .collect()
}

/// The processes of `procs` that belong to the trees of `roots`: the roots, their process
/// groups, and every descendant of any of those.
pub fn tree_members(procs: &[ProcInfo], roots: &[i32]) -> Vec<ProcInfo> {
    let mut set: Vec<i32> = procs
        .iter()
        .filter(|p| roots.contains(&p.pid) || roots.contains(&p.pgrp))
        .map(|p| p.pid)
        .collect();
    loop {
        let before = set.len();
        for p in procs {
            if set.contains(&p.ppid) && !set.contains(&p.pid) {
                set.push(p.pid);
            }
        }
        if set.len() == before {
            break;
        }
    }
    procs
        .iter()
        .filter(|p| set.contains(&p.pid))
        .cloned()
        .collect()
}

fn alive(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(t) => parse_stat(&t).is_some_and(|p| p.state != 'Z' && p.state != 'X'),
        Err(_) => false,
    }
}

/// SIGTERM to the groups and trees of `roots`, then SIGKILL to what is left after `grace`.
/// Returns `name(pid)` of every process found.
fn terminate_trees(roots: &[i32], grace: Duration) -> Vec<String> {
    let members = tree_members(&snapshot(), roots);
    let signal_all = |sig: i32| {
        #[cfg(unix)]
        // SAFETY: kill(2) with a pid or negative pgid we started; errors (ESRCH) are ignored.
        unsafe {
            for r in roots {
                libc::kill(-r, sig);
            }
            for m in &members {
                libc::kill(m.pid, sig);
            }
        }
    };
    #[cfg(unix)]
    signal_all(libc::SIGTERM);
    let deadline = Instant::now() + grace;
    while Instant::now() < deadline && members.iter().any(|m| alive(m.pid)) {
        std::thread::sleep(Duration::from_millis(50));
    }
    if members.iter().any(|m| alive(m.pid)) {
        #[cfg(unix)]
        signal_all(libc::SIGKILL);
        // SIGKILL is delivered asynchronously: wait (bounded) until they are gone.
        let deadline = Instant::now() + Duration::from_secs(2);
        while Instant::now() < deadline && members.iter().any(|m| alive(m.pid)) {
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    reap_orphans();
    members
        .iter()
        .map(|m| format!("{}({})", m.comm, m.pid))
        .collect()
}

/// Reaps zombies re-parented to xtask (it is a child subreaper), without blocking.
fn reap_orphans() {
    #[cfg(target_os = "linux")]
    {
        let me = std::process::id() as i32;
        let registered: Vec<i32> = REGISTRY.lock().map(|r| r.clone()).unwrap_or_default();
        for p in snapshot() {
            if p.ppid == me && p.state == 'Z' && !registered.contains(&p.pid) {
                // SAFETY: waitpid on a zombie child of ours, non-blocking.
                unsafe {
                    libc::waitpid(p.pid, std::ptr::null_mut(), libc::WNOHANG);
                }
            }
        }
    }
}

/// Live descendants of xtask whose command name is one of `names` (used to prove that
/// nothing was left behind).
pub fn leftover(names: &[&str]) -> Vec<String> {
    let me = std::process::id() as i32;
    tree_members(&snapshot(), &[me])
        .into_iter()
        .filter(|p| p.pid != me && p.state != 'Z' && names.iter().any(|n| p.comm.starts_with(n)))
        .map(|p| format!("{}({})", p.comm, p.pid))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_stat_with_odd_comm() {
        let p = parse_stat("1234 (Web Kit) Driver)) S 10 1234 1234 0 -1 4194560").unwrap();
        assert_eq!(p.pid, 1234);
        assert_eq!(p.comm, "Web Kit) Driver)");
        assert_eq!((p.state, p.ppid, p.pgrp), ('S', 10, 1234));
    }

    #[test]
    fn tree_takes_group_and_descendants_only() {
        let p = |pid, ppid, pgrp| ProcInfo {
            pid,
            ppid,
            pgrp,
            state: 'S',
            comm: format!("p{pid}"),
        };
        let procs = vec![
            p(1, 0, 1),
            p(100, 1, 100),   // root: tauri-driver
            p(101, 100, 100), // WebKitWebDriver, same group
            p(102, 101, 102), // the app, its own group, descendant
            p(103, 1, 100),   // orphan left in the group
            p(200, 1, 200),   // unrelated
            p(201, 200, 200), // unrelated child
        ];
        let mut got: Vec<i32> = tree_members(&procs, &[100]).iter().map(|p| p.pid).collect();
        got.sort();
        assert_eq!(got, vec![100, 101, 102, 103]);
    }

    #[test]
    fn background_stop_kills_the_whole_tree() {
        if !Path::new("/proc/self/stat").exists() {
            return;
        }
        let dir = std::env::temp_dir().join(format!("xtask-bg-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let log = dir.join("sh.log");
        // A shell that starts a grandchild in a new session (escaping the group), ignoring TERM.
        let mut cmd = Command::new("sh");
        cmd.arg("-c")
            .arg("trap '' TERM; setsid sleep 300 & sleep 300 & wait");
        let mut bg = Background::spawn("sh", &mut cmd, &log).unwrap();
        let pid = bg.pid() as i32;
        let deadline = Instant::now() + Duration::from_secs(5);
        while tree_members(&snapshot(), &[pid]).len() < 3 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        let members = tree_members(&snapshot(), &[pid]);
        assert_eq!(members.len(), 3, "{members:?}");
        let stopped = bg.stop();
        assert_eq!(stopped.len(), 3, "{stopped:?}");
        for m in members {
            assert!(!alive(m.pid), "{m:?} survived");
        }
        let _ = std::fs::remove_dir_all(dir);
    }
}
