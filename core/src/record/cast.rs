//! The asciicast format (asciinema's): what we write (v2) and what we read (v1, v2,
//! v3). <https://docs.asciinema.org/manual/asciicast/v2/>
//!
//! A v2 file is a JSON header line, then one JSON array per event:
//! `[time, code, data]`, `time` in seconds since the recording started. v3 keeps the
//! shape but its times are intervals since the previous event; v1 is one JSON object
//! whose `stdout` holds `[delay, data]` pairs. Whatever the version, the reader turns
//! every event into absolute time.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The header line of a v2 cast.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Header {
    pub version: u8,
    pub width: u16,
    pub height: u16,
    /// Unix seconds when the recording started.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// `SHELL` and `TERM`, as asciinema records them.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub env: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idle_time_limit: Option<f64>,
}

impl Header {
    pub fn v2(width: u16, height: u16) -> Self {
        Self {
            version: 2,
            width,
            height,
            timestamp: None,
            title: None,
            env: BTreeMap::new(),
            idle_time_limit: None,
        }
    }
}

/// What an event is, by its one-letter code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventCode {
    /// `o`: bytes the terminal printed.
    Output,
    /// `i`: keys typed (we never record them).
    Input,
    /// `r`: the terminal was resized; data is `COLSxROWS`.
    Resize,
    /// `m`: a marker; data is its label.
    Marker,
    /// `x` (v3): the session's exit status.
    Exit,
    /// Any other code, kept as read.
    Other(String),
}

impl EventCode {
    pub fn as_str(&self) -> &str {
        match self {
            Self::Output => "o",
            Self::Input => "i",
            Self::Resize => "r",
            Self::Marker => "m",
            Self::Exit => "x",
            Self::Other(s) => s,
        }
    }

    fn parse(s: &str) -> Self {
        match s {
            "o" => Self::Output,
            "i" => Self::Input,
            "r" => Self::Resize,
            "m" => Self::Marker,
            "x" => Self::Exit,
            other => Self::Other(other.to_string()),
        }
    }
}

/// One event, its time absolute (seconds since the recording started).
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub time: f64,
    pub code: EventCode,
    pub data: String,
}

impl Event {
    pub fn output(time: f64, data: impl Into<String>) -> Self {
        Self {
            time,
            code: EventCode::Output,
            data: data.into(),
        }
    }

    pub fn marker(time: f64, label: impl Into<String>) -> Self {
        Self {
            time,
            code: EventCode::Marker,
            data: label.into(),
        }
    }

    /// The v2 line of this event, without its newline. Times keep microseconds, as
    /// asciinema writes them.
    pub fn to_line(&self) -> String {
        let data = serde_json::to_string(&self.data).unwrap_or_else(|_| "\"\"".into());
        let code = serde_json::to_string(self.code.as_str()).unwrap_or_else(|_| "\"?\"".into());
        format!("[{:.6}, {code}, {data}]", self.time)
    }
}

/// A cast as read: its header (normalized to v2's fields), its events in absolute
/// time, and what the reader had to skip.
#[derive(Debug, Clone, PartialEq)]
pub struct Cast {
    /// 1, 2 or 3: the version the file was written in.
    pub version: u8,
    pub header: Header,
    pub events: Vec<Event>,
    /// Lines that were not valid events, skipped.
    pub skipped: Vec<BadLine>,
    /// The last line was cut short (the recorder was killed while writing it).
    pub truncated: bool,
}

impl Cast {
    /// The time of the last event (0 for an empty cast).
    pub fn duration(&self) -> f64 {
        self.events.last().map_or(0.0, |e| e.time)
    }

    /// Every output byte, in order.
    pub fn output(&self) -> String {
        self.events
            .iter()
            .filter(|e| e.code == EventCode::Output)
            .map(|e| e.data.as_str())
            .collect()
    }

    /// The events with `from <= time < to`.
    pub fn between(&self, from: f64, to: f64) -> &[Event] {
        let start = self.events.partition_point(|e| e.time < from);
        let end = self.events.partition_point(|e| e.time < to);
        &self.events[start..end.max(start)]
    }
}

/// A line of a cast that is not an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadLine {
    /// 1-based line number in the file.
    pub line: usize,
    pub message: String,
}

impl std::fmt::Display for BadLine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

/// Why a cast cannot be read at all.
#[derive(Debug, thiserror::Error)]
pub enum CastError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: empty file, not an asciicast recording")]
    Empty { path: PathBuf },
    #[error("{path}:1: not an asciicast header: {message}")]
    BadHeader { path: PathBuf, message: String },
    #[error("{path}:1: asciicast version {version} is not supported (1, 2 and 3 are)")]
    UnsupportedVersion { path: PathBuf, version: u64 },
}

/// Reads the cast at `path`.
pub fn read(path: &Path) -> Result<Cast, CastError> {
    let bytes = std::fs::read(path).map_err(|source| CastError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    parse(&String::from_utf8_lossy(&bytes), path)
}

/// Parses a cast's text; `path` only names it in errors.
pub fn parse(text: &str, path: &Path) -> Result<Cast, CastError> {
    let first = text.lines().next().filter(|l| !l.trim().is_empty());
    let Some(first) = first else {
        return Err(CastError::Empty {
            path: path.to_path_buf(),
        });
    };
    let bad_header = |message: String| CastError::BadHeader {
        path: path.to_path_buf(),
        message,
    };
    // v1 is one (usually pretty-printed) JSON document; v2/v3 start with a header line.
    let header: Value = match serde_json::from_str(first) {
        Ok(v) => v,
        Err(line_err) => match serde_json::from_str::<Value>(text) {
            Ok(doc) if doc.get("version").and_then(Value::as_u64) == Some(1) => {
                return parse_v1(&doc, path);
            }
            _ => return Err(bad_header(line_err.to_string())),
        },
    };
    let version = header
        .get("version")
        .and_then(Value::as_u64)
        .ok_or_else(|| bad_header("no `version` field".into()))?;
    match version {
        1 => parse_v1(&header, path),
        2 | 3 => parse_lines(text, &header, version as u8, path),
        other => Err(CastError::UnsupportedVersion {
            path: path.to_path_buf(),
            version: other,
        }),
    }
}

fn number_field(v: &Value, keys: &[&str]) -> Option<u16> {
    let mut cur = v;
    for k in keys {
        cur = cur.get(k)?;
    }
    cur.as_u64().and_then(|n| u16::try_from(n).ok())
}

fn header_of(v: &Value, version: u8) -> Option<Header> {
    let (width, height) = if version == 3 {
        (
            number_field(v, &["term", "cols"])?,
            number_field(v, &["term", "rows"])?,
        )
    } else {
        (number_field(v, &["width"])?, number_field(v, &["height"])?)
    };
    let mut env: BTreeMap<String, String> = v
        .get("env")
        .and_then(Value::as_object)
        .map(|o| {
            o.iter()
                .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                .collect()
        })
        .unwrap_or_default();
    if let Some(term) = v.pointer("/term/type").and_then(Value::as_str) {
        env.entry("TERM".into()).or_insert_with(|| term.to_string());
    }
    Some(Header {
        version: 2,
        width,
        height,
        timestamp: v.get("timestamp").and_then(Value::as_u64),
        title: v.get("title").and_then(Value::as_str).map(str::to_string),
        env,
        idle_time_limit: v.get("idle_time_limit").and_then(Value::as_f64),
    })
}

fn parse_lines(text: &str, header: &Value, version: u8, path: &Path) -> Result<Cast, CastError> {
    let header = header_of(header, version).ok_or_else(|| CastError::BadHeader {
        path: path.to_path_buf(),
        message: "no terminal size (`width`/`height`, or `term.cols`/`term.rows` in v3)".into(),
    })?;
    let mut cast = Cast {
        version,
        header,
        events: Vec::new(),
        skipped: Vec::new(),
        truncated: false,
    };
    let ends_cleanly = text.ends_with('\n');
    let lines: Vec<&str> = text.lines().collect();
    let mut clock = 0.0_f64;
    for (i, line) in lines.iter().enumerate().skip(1) {
        let trimmed = line.trim();
        if trimmed.is_empty() || (version == 3 && trimmed.starts_with('#')) {
            continue;
        }
        match parse_event(trimmed) {
            Ok((time, code, data)) => {
                // v3 times are intervals; v2 times must not go back.
                let at = if version == 3 {
                    clock + time
                } else {
                    time.max(clock)
                };
                clock = at;
                cast.events.push(Event {
                    time: at,
                    code,
                    data,
                });
            }
            Err(message) if i + 1 == lines.len() && !ends_cleanly => {
                tracing::debug!(file = %path.display(), line = i + 1, %message, "truncated last line");
                cast.truncated = true;
            }
            Err(message) => cast.skipped.push(BadLine {
                line: i + 1,
                message,
            }),
        }
    }
    Ok(cast)
}

fn parse_event(line: &str) -> Result<(f64, EventCode, String), String> {
    let v: Value = serde_json::from_str(line).map_err(|e| format!("not JSON: {e}"))?;
    let parts = v
        .as_array()
        .filter(|a| a.len() >= 3)
        .ok_or("not an event (expected [time, code, data])")?;
    let time = parts[0]
        .as_f64()
        .filter(|t| t.is_finite() && *t >= 0.0)
        .ok_or("the time is not a non-negative number")?;
    let code = parts[1].as_str().ok_or("the event code is not a string")?;
    let data = match &parts[2] {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    Ok((time, EventCode::parse(code), data))
}

fn parse_v1(doc: &Value, path: &Path) -> Result<Cast, CastError> {
    let header = header_of(doc, 1).ok_or_else(|| CastError::BadHeader {
        path: path.to_path_buf(),
        message: "no `width`/`height`".into(),
    })?;
    let frames =
        doc.get("stdout")
            .and_then(Value::as_array)
            .ok_or_else(|| CastError::BadHeader {
                path: path.to_path_buf(),
                message: "a v1 recording needs a `stdout` array".into(),
            })?;
    let mut cast = Cast {
        version: 1,
        header,
        events: Vec::new(),
        skipped: Vec::new(),
        truncated: false,
    };
    let mut clock = 0.0;
    for (i, frame) in frames.iter().enumerate() {
        let pair = frame.as_array().filter(|a| a.len() == 2);
        let delay = pair.and_then(|p| p[0].as_f64()).filter(|d| *d >= 0.0);
        let data = pair.and_then(|p| p[1].as_str());
        match (delay, data) {
            (Some(delay), Some(data)) => {
                clock += delay;
                cast.events.push(Event::output(clock, data));
            }
            _ => cast.skipped.push(BadLine {
                line: i + 1,
                message: format!("stdout frame {} is not [delay, text]", i + 1),
            }),
        }
    }
    Ok(cast)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_str(text: &str) -> Cast {
        parse(text, Path::new("t.cast")).unwrap()
    }

    #[test]
    fn reads_v2_with_a_truncated_last_line() {
        let c = parse_str(
            "{\"version\":2,\"width\":80,\"height\":24}\n[0.5,\"o\",\"hi\"]\n[1.0,\"m\",\"start x\"]\n[1.2,\"o\",\"tru",
        );
        assert_eq!(c.events.len(), 2);
        assert!(c.truncated);
        assert!(c.skipped.is_empty());
        assert_eq!(c.output(), "hi");
    }

    #[test]
    fn names_corrupt_lines() {
        let c = parse_str("{\"version\":2,\"width\":80,\"height\":24}\n[0.5,\"o\",\"a\"]\ngarbage\n[-1,\"o\",\"b\"]\n[2,\"o\",\"c\"]\n");
        assert_eq!(c.output(), "ac");
        let lines: Vec<usize> = c.skipped.iter().map(|b| b.line).collect();
        assert_eq!(lines, vec![3, 4]);
        assert!(!c.truncated);
    }

    #[test]
    fn v3_intervals_become_absolute_times() {
        let c = parse_str("{\"version\":3,\"term\":{\"cols\":100,\"rows\":30,\"type\":\"xterm\"}}\n# a comment\n[0.5,\"o\",\"a\"]\n[0.25,\"o\",\"b\"]\n[0.0,\"x\",\"0\"]\n");
        assert_eq!((c.header.width, c.header.height), (100, 30));
        assert_eq!(c.header.env["TERM"], "xterm");
        let times: Vec<f64> = c.events.iter().map(|e| e.time).collect();
        assert_eq!(times, vec![0.5, 0.75, 0.75]);
        assert_eq!(c.events[2].code, EventCode::Exit);
    }

    #[test]
    fn v1_frames_are_delays() {
        let c = parse_str("{\n  \"version\": 1, \"width\": 80, \"height\": 24,\n  \"stdout\": [[0.5, \"a\"], [1.0, \"b\"]]\n}\n");
        assert_eq!(c.version, 1);
        assert_eq!(c.events[1].time, 1.5);
        assert_eq!(c.output(), "ab");
    }

    #[test]
    fn bad_headers_are_errors_naming_the_file() {
        let e = parse("not json\n", Path::new("x.cast")).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("x.cast:1: not an asciicast header"),
            "{e}"
        );
        let e = parse("{\"version\":9}\n", Path::new("x.cast")).unwrap_err();
        assert!(e.to_string().contains("version 9"), "{e}");
        assert!(matches!(
            parse("", Path::new("x.cast")),
            Err(CastError::Empty { .. })
        ));
    }

    #[test]
    fn event_lines_round_trip() {
        let e = Event::output(1.5, "a\"b\\c\u{1b}[0m\n é");
        let c = parse_str(&format!(
            "{{\"version\":2,\"width\":1,\"height\":1}}\n{}\n",
            e.to_line()
        ));
        assert_eq!(c.events, vec![e]);
    }

    #[test]
    fn between_selects_a_time_range() {
        let c = parse_str("{\"version\":2,\"width\":1,\"height\":1}\n[0,\"o\",\"a\"]\n[1,\"o\",\"b\"]\n[2,\"o\",\"c\"]\n");
        let mid: String = c
            .between(0.5, 2.0)
            .iter()
            .map(|e| e.data.as_str())
            .collect();
        assert_eq!(mid, "b");
        assert!(c.between(3.0, 1.0).is_empty());
    }
}
