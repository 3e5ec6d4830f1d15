//! A recording survives its recorder: SIGKILL of `cuedeck rehearse` mid-step leaves
//! a cast that reads, holding every line printed up to the last second before the
//! kill; and what a live terminal printed is recorded byte for byte, and played back
//! byte for byte.

mod terminal_common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cuedeck_core::record::cast::{self, Header};
use cuedeck_core::record::playback::{self, Pace};
use cuedeck_core::record::writer::{CastFile, CastSink};
use cuedeck_core::terminal::{Acknowledge, StepRequest};
use terminal_common::{session, WAIT};

const TICKS: &str = "# Ticks\n\n## Tick\n\n```bash\nfor i in $(seq 1 300); do echo \"tick $i\" | tee -a ticks.txt; sleep 0.1; done\n```\n";

fn ticks_written(dir: &Path) -> usize {
    std::fs::read_to_string(dir.join("ticks.txt"))
        .map(|t| t.lines().count())
        .unwrap_or(0)
}

/// Processes whose working directory is `dir` (the rehearsal's shells and their children).
fn processes_in(dir: &Path) -> Vec<i32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| std::fs::read_link(format!("/proc/{pid}/cwd")).is_ok_and(|c| c == dir))
        .collect()
}

#[test]
fn sigkill_mid_step_leaves_a_cast_readable_up_to_the_last_second() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path().canonicalize().expect("canonical");
    let runbook = root.join("ticks.md");
    std::fs::write(&runbook, TICKS).expect("runbook");
    let mut child = Command::new(env!("CARGO_BIN_EXE_cuedeck"))
        .arg("rehearse")
        .arg(&runbook)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("cuedeck starts");
    let deadline = Instant::now() + WAIT;
    while ticks_written(&root) < 25 {
        assert!(Instant::now() < deadline, "no ticks after {WAIT:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
    // Ticks are 100 ms apart: those written a second before the kill.
    let settled = ticks_written(&root).saturating_sub(10);
    child.kill().expect("SIGKILL");
    child.wait().expect("reaped");

    let rehearsals = root.join(".cuedeck/rehearsals/ticks");
    let folder = std::fs::read_dir(&rehearsals)
        .expect("a rehearsal folder")
        .next()
        .expect("one")
        .expect("entry")
        .path();
    let recorded = cast::read(&folder.join("main.cast")).expect("the cast reads after SIGKILL");
    assert!(recorded.skipped.is_empty(), "{:?}", recorded.skipped);
    let output = recorded.output();
    for i in 1..=settled {
        assert!(
            output.contains(&format!("tick {i}\r\n")),
            "tick {i} of {settled} lost"
        );
    }

    // The PTY closed with its owner: the shell and the loop end (SIGHUP).
    let gone = Instant::now() + Duration::from_secs(10);
    while !processes_in(&root).is_empty() && Instant::now() < gone {
        std::thread::sleep(Duration::from_millis(50));
    }
    let left = processes_in(&root);
    for pid in &left {
        let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
    }
    assert!(left.is_empty(), "processes left behind: {left:?}");
}

/// Collects every byte the terminal hands its sinks.
struct Collect(Arc<Mutex<Vec<u8>>>);

impl cuedeck_core::terminal::OutputSink for Collect {
    fn on_output(&mut self, bytes: &[u8], _at: Duration) {
        self.0.lock().expect("lock").extend_from_slice(bytes);
    }
}

#[test]
fn a_live_terminal_is_recorded_and_played_back_byte_for_byte() {
    let (session, _home) = session("main");
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("main.cast");
    let file = CastFile::create(&path, &Header::v2(120, 30), Instant::now(), Arc::default())
        .expect("cast file");
    let cast_sink = CastSink(Arc::new(Mutex::new(file)));
    let seen = Arc::new(Mutex::new(Vec::new()));
    session.add_sink(Box::new(cast_sink), Acknowledge::Never);
    session.add_sink(Box::new(Collect(Arc::clone(&seen))), Acknowledge::Never);
    let script = "printf 'h\\xc3\\xa9llo \\xe2\\x86\\x92 \\xf0\\x9f\\x8e\\x89 \\033[31mred\\033[0m\\n'; seq 1 20000; echo done";
    let mut request = StepRequest::commands("main", [script]);
    request.timeout = Some(WAIT);
    let outcome = session.run(&request).expect("runs");
    assert_eq!(outcome.exit_code, Some(0), "{outcome:?}");
    drop(session);

    let live = String::from_utf8(seen.lock().expect("lock").clone()).expect("UTF-8 output");
    let recorded = cast::read(&path).expect("cast");
    assert_eq!(
        recorded.output(),
        live,
        "the recording differs from the live bytes"
    );
    assert!(live.contains("héllo → 🎉") && live.contains("\n20000\r\n"));

    let timeline = playback::schedule(
        recorded
            .events
            .iter()
            .filter(|e| e.code == cast::EventCode::Output)
            .map(|e| (e.time, e.data.clone()))
            .collect(),
        Pace::new(4.0, Some(Duration::from_millis(50))).expect("pace"),
    );
    let mut played = String::new();
    playback::play(&timeline, &AtomicBool::new(false), |d| played.push_str(d));
    assert_eq!(played, live, "playback differs from the live bytes");
}
