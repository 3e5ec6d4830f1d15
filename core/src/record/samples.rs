//! Probe and system samples recorded beside the casts: one JSON line per event,
//! `{"t": seconds since the rehearsal's origin, "event": {...}}`, written as it
//! arrives (unbuffered, like the casts), so playback can replay the health lights
//! and charts of each step.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use serde::{Deserialize, Serialize};

use super::cast::BadLine;
use super::redact::{redact_json, Redactor};
use crate::probe::{ProbeEvent, ProbeSink};

/// One recorded probe event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sample {
    /// Seconds since the rehearsal's origin.
    pub t: f64,
    pub event: ProbeEvent,
}

/// Appends samples to a file; a [`ProbeSink`] for the monitor.
pub struct SampleWriter {
    path: PathBuf,
    origin: Instant,
    /// A probe's error can quote what a service answered (a JSON field's value);
    /// every text of a sample is masked before it is written.
    redactor: Arc<Redactor>,
    file: Mutex<Option<File>>,
}

impl SampleWriter {
    pub fn create(path: &Path, origin: Instant, redactor: Arc<Redactor>) -> std::io::Result<Self> {
        let file = File::options().append(true).create(true).open(path)?;
        Ok(Self {
            path: path.to_path_buf(),
            origin,
            redactor,
            file: Mutex::new(Some(file)),
        })
    }

    pub fn write(&self, event: ProbeEvent) {
        let sample = Sample {
            t: self.origin.elapsed().as_secs_f64(),
            event,
        };
        let Ok(mut value) = serde_json::to_value(&sample) else {
            return;
        };
        redact_json(&self.redactor, &mut value);
        let Ok(mut line) = serde_json::to_string(&value) else {
            return;
        };
        line.push('\n');
        let mut file = self.file.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(f) = file.as_mut() {
            if let Err(e) = f.write_all(line.as_bytes()) {
                tracing::error!(file = %self.path.display(), error = %e, "samples no longer recorded");
                *file = None;
            }
        }
    }
}

impl ProbeSink for SampleWriter {
    fn publish(&self, event: ProbeEvent) {
        self.write(event);
    }
}

/// The samples of a file, in time order, with the lines that were skipped. A missing
/// file has no samples; a truncated last line is dropped quietly.
pub fn read(path: &Path) -> std::io::Result<(Vec<Sample>, Vec<BadLine>)> {
    let text = match std::fs::read(path) {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((Vec::new(), Vec::new())),
        Err(e) => return Err(e),
    };
    let lines: Vec<&str> = text.lines().collect();
    let mut samples = Vec::new();
    let mut bad = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<Sample>(line) {
            Ok(s) => samples.push(s),
            Err(_) if i + 1 == lines.len() && !text.ends_with('\n') => {}
            Err(e) => bad.push(BadLine {
                line: i + 1,
                message: e.to_string(),
            }),
        }
    }
    samples.sort_by(|a, b| a.t.total_cmp(&b.t));
    Ok((samples, bad))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::{Health, ServiceStatus};

    #[test]
    fn samples_round_trip_and_a_cut_line_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("samples.jsonl");
        let w = SampleWriter::create(&path, Instant::now(), Arc::default()).unwrap();
        let status = ServiceStatus {
            service: "api".into(),
            url: "http://127.0.0.1:1/health".into(),
            health: Health::Up,
            at: 1,
            latency_ms: Some(2.0),
            http_status: Some(200),
            error: None,
        };
        w.publish(ProbeEvent::Service(status.clone()));
        std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap()
            .write_all(b"{\"t\":1.0,\"ev")
            .unwrap();
        let (samples, bad) = read(&path).unwrap();
        assert_eq!(samples.len(), 1);
        assert!(bad.is_empty());
        assert_eq!(samples[0].event, ProbeEvent::Service(status));
        assert!(read(&dir.path().join("none")).unwrap().0.is_empty());
    }
}
