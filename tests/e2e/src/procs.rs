//! The app's processes as /proc shows them: the app and the WebKit processes it starts
//! (its web and network processes), not the shells and programs of its terminals. The
//! CPU they use and their proportional set size (PSS, where shared pages are split
//! between the processes that map them, so the sum is the memory they cost together).

use std::collections::HashMap;
use std::path::Path;

use anyhow::{bail, Context, Result};

/// What /proc/PID/stat says of one process, as far as the benchmark needs it.
#[derive(Debug, Clone)]
pub struct Stat {
    pub pid: u32,
    pub ppid: u32,
    pub comm: String,
    /// R, S, D, Z (a zombie: ended, not yet reaped), ...
    pub state: char,
    /// User and system time, in clock ticks.
    pub cpu_ticks: u64,
    /// Start, in clock ticks after boot.
    pub start_ticks: u64,
}

/// Clock ticks per second of /proc's times (`getconf CLK_TCK`).
pub fn ticks_per_second() -> f64 {
    // SAFETY: sysconf only reads a constant of the system.
    let n = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if n > 0 {
        n as f64
    } else {
        100.0
    }
}

/// Parses /proc/PID/stat: `pid (comm) state ppid ...`, where comm may hold spaces and
/// ')'; utime and stime are fields 14 and 15, starttime field 22.
pub fn parse_stat(text: &str) -> Option<Stat> {
    let open = text.find('(')?;
    let close = text.rfind(')')?;
    let pid = text[..open].trim().parse().ok()?;
    let comm = text[open + 1..close].to_owned();
    // Fields from the state on (field 3), so field n is at index n - 3.
    let rest: Vec<&str> = text[close + 1..].split_whitespace().collect();
    let field = |n: usize| rest.get(n - 3).and_then(|f| f.parse::<u64>().ok());
    Some(Stat {
        pid,
        ppid: u32::try_from(field(4)?).ok()?,
        comm,
        state: rest.first()?.chars().next()?,
        cpu_ticks: field(14)? + field(15)?,
        start_ticks: field(22)?,
    })
}

fn read_stat(pid: u32) -> Option<Stat> {
    parse_stat(&std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?)
}

fn all() -> Vec<Stat> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(read_stat)
        .collect()
}

/// The processes under `root` (itself included), by walking parent links.
fn descendants(root: u32) -> Vec<Stat> {
    let procs = all();
    let mut children: HashMap<u32, Vec<&Stat>> = HashMap::new();
    for p in &procs {
        children.entry(p.ppid).or_default().push(p);
    }
    let mut found: Vec<Stat> = procs.iter().filter(|p| p.pid == root).cloned().collect();
    let mut i = 0;
    while i < found.len() {
        let pid = found[i].pid;
        found.extend(
            children
                .get(&pid)
                .into_iter()
                .flatten()
                .map(|p| (*p).clone()),
        );
        i += 1;
    }
    found
}

/// The part of the app a process is: the app itself, or one of WebKit's processes.
pub fn part(comm: &str) -> Option<&'static str> {
    match comm {
        "cuedeck-app" => Some("app"),
        // /proc cuts names at 15 characters.
        c if c.starts_with("WebKitWebProces") => Some("web"),
        c if c.starts_with("WebKitNetworkPr") => Some("network"),
        c if c.starts_with("WebKit") => Some("webkit other"),
        _ => None,
    }
}

/// The newest `cuedeck-app` under the WebDriver server `driver` (tauri-driver starts
/// WebKitWebDriver, which starts the app).
pub fn find_app(driver: u32) -> Result<u32> {
    descendants(driver)
        .into_iter()
        .filter(|p| p.comm == "cuedeck-app")
        .max_by_key(|p| p.start_ticks)
        .map(|p| p.pid)
        .with_context(|| format!("no cuedeck-app process under tauri-driver (pid {driver})"))
}

/// The app's processes now: the app and the WebKit processes under it.
pub fn app_processes(app: u32) -> Vec<Stat> {
    descendants(app)
        .into_iter()
        .filter(|p| part(&p.comm).is_some())
        .collect()
}

/// Whether `pid` still runs (a zombie, ended but not yet reaped, does not).
pub fn running(pid: u32) -> bool {
    read_stat(pid).is_some_and(|p| p.state != 'Z')
}

/// Kills with SIGKILL those of `pids` that still run after `grace`, and returns them:
/// the processes an app's closed session left behind.
pub fn kill_left_over(pids: &[u32], grace: std::time::Duration) -> Vec<u32> {
    let deadline = std::time::Instant::now() + grace;
    while pids.iter().any(|p| running(*p)) && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let left: Vec<u32> = pids.iter().copied().filter(|p| running(*p)).collect();
    for pid in &left {
        // SAFETY: kill only sends a signal; a pid that just ended is harmless.
        unsafe { libc::kill(*pid as libc::pid_t, libc::SIGKILL) };
    }
    left
}

/// CPU ticks used so far, per part, by the app's processes.
pub fn cpu_ticks(app: u32) -> HashMap<&'static str, u64> {
    let mut by_part = HashMap::new();
    for p in app_processes(app) {
        if let Some(part) = part(&p.comm) {
            *by_part.entry(part).or_default() += p.cpu_ticks;
        }
    }
    by_part
}

/// `Pss:` of /proc/PID/smaps_rollup, in KiB.
fn pss_kib(pid: u32) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).ok()?;
    parse_pss(&text)
}

pub fn parse_pss(smaps_rollup: &str) -> Option<u64> {
    smaps_rollup
        .lines()
        .find_map(|l| l.strip_prefix("Pss:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// PSS per part of the app's processes, in KiB.
pub fn pss(app: u32) -> HashMap<&'static str, u64> {
    let mut by_part = HashMap::new();
    for p in app_processes(app) {
        if let (Some(part), Some(kib)) = (part(&p.comm), pss_kib(p.pid)) {
            *by_part.entry(part).or_default() += kib;
        }
    }
    by_part
}

/// When `pid` started, in milliseconds since the Unix epoch (to a clock tick). /proc
/// gives the start in ticks after boot; the uptime read now ties that to the clock.
pub fn started_at_epoch_ms(pid: u32) -> Result<f64> {
    let stat = read_stat(pid).with_context(|| format!("reading /proc/{pid}/stat"))?;
    let uptime = std::fs::read_to_string("/proc/uptime").context("reading /proc/uptime")?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .context("the clock is before 1970")?
        .as_secs_f64()
        * 1000.0;
    let Some(up) = uptime
        .split_whitespace()
        .next()
        .and_then(|s| s.parse::<f64>().ok())
    else {
        bail!("/proc/uptime is not `SECONDS IDLE`: {uptime:?}");
    };
    let age_s = up - stat.start_ticks as f64 / ticks_per_second();
    Ok(now - age_s * 1000.0)
}

/// The machine, for the table's heading: CPU model, cores, memory, kernel.
pub fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map(|v| v.trim_start_matches([' ', '\t', ':']).to_owned())
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let mem_kib = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines()
                .find_map(|l| l.strip_prefix("MemTotal:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        })
        .unwrap_or(0);
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    format!(
        "{model}, {cores} cores, {:.0} GiB, Linux {}",
        mem_kib as f64 / 1024.0 / 1024.0,
        kernel.trim()
    )
}

/// Whether `path` is an executable file.
pub fn executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_fields() {
        let s = parse_stat(
            "42 (Web Content) S 7 42 42 0 -1 4194560 1 0 0 0 30 12 0 0 20 0 9 0 5555 1 2",
        )
        .unwrap();
        assert_eq!(
            (s.pid, s.ppid, s.comm.as_str(), s.cpu_ticks, s.start_ticks),
            (42, 7, "Web Content", 42, 5555)
        );
    }

    #[test]
    fn pss_line() {
        assert_eq!(
            parse_pss("Rss: 10 kB\nPss:              1234 kB\n"),
            Some(1234)
        );
    }
}
