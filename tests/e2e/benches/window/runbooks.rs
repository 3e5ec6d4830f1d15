//! The runbooks the window benchmark opens, written into its scratch folder (the idle
//! one names the port its services listen on).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

/// `seq 1 LAST` after a warm-up step, so the timed run starts at a shell that is up.
pub fn seq(dir: &Path, last: u32) -> Result<PathBuf> {
    write(
        dir,
        "bench-seq.md",
        &format!(
            "# Window Bench: Seq\n\n\
             ## Warm up\n\n```bash\ntrue\n```\n\n\
             ## Count far\n\n```bash\nseq 1 {last}\n```\n"
        ),
    )
}

/// Services probed every second on `port` (four lights and one metrics source with two
/// charted series: five probes), three terminals, and a 60 s `yes` flood in the first.
pub fn idle(dir: &Path, port: u16, flood_seconds: u64) -> Result<PathBuf> {
    let service = |name: &str| {
        format!("  - {{ name: {name}, url: \"http://127.0.0.1:{port}/health?{name}\", interval: 1s }}\n")
    };
    let services: String = ["gateway", "orders", "payments", "search"]
        .iter()
        .map(|s| service(s))
        .collect();
    write(
        dir,
        "bench-idle.md",
        &format!(
            "---\ntitle: Window Bench Idle\nshell: bash\nservices:\n{services}\
             metrics:\n  - {{ name: load, url: \"http://127.0.0.1:{port}/metrics\", format: prometheus, \
             interval: 1s, series: [bench_requests_total, bench_latency_ms] }}\n---\n\n\
             # Window Bench: Idle\n\n\
             ## First terminal\n\n```bash {{\"terminal\": \"t1\"}}\necho one\n```\n\n\
             ## Second terminal\n\n```bash {{\"terminal\": \"t2\"}}\necho two\n```\n\n\
             ## Third terminal\n\n```bash {{\"terminal\": \"t3\"}}\necho three\n```\n\n\
             ## Flood\n\n```bash {{\"terminal\": \"t1\"}}\ntimeout {flood_seconds} yes\n```\n"
        ),
    )
}

fn write(dir: &Path, name: &str, text: &str) -> Result<PathBuf> {
    let path = dir.join(name);
    std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
    Ok(path)
}
