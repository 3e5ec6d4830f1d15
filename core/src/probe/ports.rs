//! Local TCP ports: is one free, is something listening on it, and who holds it.
//! Pre-flight uses these to say *why* a port is red ("in use by pid 4242 python3").

use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::time::Duration;

pub use crate::runbook::lint::port_in_use;

/// Whether something accepts TCP connections on 127.0.0.1:`port` (or `[::1]`).
pub fn listening(port: u16, timeout: Duration) -> bool {
    let v4 = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let v6 = SocketAddr::from((std::net::Ipv6Addr::LOCALHOST, port));
    TcpStream::connect_timeout(&v4, timeout).is_ok()
        || TcpStream::connect_timeout(&v6, timeout).is_ok()
}

/// A process that holds a listening socket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortOwner {
    pub pid: i32,
    pub command: String,
}

impl std::fmt::Display for PortOwner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "pid {} ({})", self.pid, self.command)
    }
}

/// The process listening on TCP `port`, when /proc tells (Linux, and only for
/// processes this user may inspect; otherwise `None`, and the caller just says "in use").
pub fn owner(port: u16) -> Option<PortOwner> {
    let inodes: Vec<u64> = ["/proc/net/tcp", "/proc/net/tcp6"]
        .iter()
        .filter_map(|table| std::fs::read_to_string(table).ok())
        .flat_map(|text| listening_inodes(&text, port))
        .collect();
    if inodes.is_empty() {
        return None;
    }
    let targets: Vec<String> = inodes.iter().map(|i| format!("socket:[{i}]")).collect();
    std::fs::read_dir("/proc")
        .ok()?
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .find(|pid| holds_any(*pid, &targets))
        .map(|pid| PortOwner {
            pid,
            command: std::fs::read_to_string(format!("/proc/{pid}/comm"))
                .map(|c| c.trim().to_string())
                .unwrap_or_else(|_| "?".into()),
        })
}

/// " by pid 42 (python3)" when /proc tells who listens on `port`, else nothing: the
/// tail of an "in use" message.
pub fn held_by(port: u16) -> String {
    owner(port).map_or_else(String::new, |o| format!(" by {o}"))
}

/// The TCP ports that any of `pids` listens on (from /proc; empty elsewhere), sorted.
/// A server started by a step is ready once one appears, whatever port it chose.
pub fn listened_on_by(pids: &[i32]) -> Vec<u16> {
    if pids.is_empty() {
        return Vec::new();
    }
    let listening: Vec<(u64, u16)> = ["/proc/net/tcp", "/proc/net/tcp6"]
        .iter()
        .filter_map(|table| std::fs::read_to_string(table).ok())
        .flat_map(|text| listen_rows(&text))
        .collect();
    if listening.is_empty() {
        return Vec::new();
    }
    let mut ports: Vec<u16> = pids
        .iter()
        .filter_map(|pid| std::fs::read_dir(format!("/proc/{pid}/fd")).ok())
        .flat_map(|fds| fds.filter_map(|fd| std::fs::read_link(fd.ok()?.path()).ok()))
        .filter_map(|link| {
            let link = link.to_str()?;
            let inode = link.strip_prefix("socket:[")?.strip_suffix(']')?;
            inode.parse::<u64>().ok()
        })
        .filter_map(|inode| listening.iter().find(|(i, _)| *i == inode).map(|(_, p)| *p))
        .collect();
    ports.sort_unstable();
    ports.dedup();
    ports
}

/// (inode, port) of every socket in LISTEN state in a /proc/net/tcp table.
fn listen_rows(table: &str) -> Vec<(u64, u16)> {
    table
        .lines()
        .skip(1)
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let port = u16::from_str_radix(fields.get(1)?.rsplit(':').next()?, 16).ok()?;
            let inode = fields.get(9)?.parse::<u64>().ok()?;
            (*fields.get(3)? == "0A" && inode != 0).then_some((inode, port))
        })
        .collect()
}

/// Inodes of sockets in LISTEN state (st 0A) on `port` in a /proc/net/tcp table.
fn listening_inodes(table: &str, port: u16) -> Vec<u64> {
    let wanted = format!(":{port:04X}");
    table
        .lines()
        .skip(1)
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let local = fields.get(1)?;
            let state = fields.get(3)?;
            let inode = fields.get(9)?.parse::<u64>().ok()?;
            (local.ends_with(&wanted) && *state == "0A" && inode != 0).then_some(inode)
        })
        .collect()
}

fn holds_any(pid: i32, targets: &[String]) -> bool {
    let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
        return false;
    };
    fds.filter_map(|fd| std::fs::read_link(fd.ok()?.path()).ok())
        .any(|link| targets.iter().any(|t| link.as_os_str() == t.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    #[test]
    fn finds_our_own_listener_and_forgets_it_when_closed() {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        let port = listener.local_addr().unwrap().port();
        assert!(port_in_use(port));
        assert!(listening(port, Duration::from_secs(1)));
        let found = owner(port).expect("our own socket is visible in /proc");
        assert_eq!(found.pid, i32::try_from(std::process::id()).unwrap());
        drop(listener);
        assert!(!port_in_use(port));
        assert!(!listening(port, Duration::from_millis(200)));
        assert_eq!(owner(port), None);
    }

    #[test]
    fn lists_the_ports_a_process_listens_on() {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        let port = listener.local_addr().unwrap().port();
        let me = i32::try_from(std::process::id()).unwrap();
        assert!(listened_on_by(&[me]).contains(&port));
        assert!(listened_on_by(&[]).is_empty());
        drop(listener);
        assert!(!listened_on_by(&[me]).contains(&port));
    }

    #[test]
    fn reads_the_listen_rows_of_a_proc_table() {
        let table = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n   0: 0100007F:1EC6 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4242 1 0000000000000000 100 0 0 10 0\n   1: 0100007F:1EC6 0100007F:9C40 01 00000000:00000000 00:00000000 00000000     0        0 4343 1 0000000000000000 100 0 0 10 0\n";
        assert_eq!(listening_inodes(table, 7878), vec![4242]);
        assert!(listening_inodes(table, 80).is_empty());
        assert_eq!(listen_rows(table), vec![(4242, 7878)]);
    }
}
