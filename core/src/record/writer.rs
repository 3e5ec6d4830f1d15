//! Writing a terminal's asciicast v2 recording as it happens.
//!
//! Every event is one `write` of one whole line to an unbuffered file: once the
//! pipeline hands a batch over, it is in the kernel, so killing the app (even with
//! SIGKILL) loses nothing already shown; a crash of the machine loses what the kernel
//! had not yet written back. Input (`i`) is never recorded.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::cast::{Event, EventCode, Header};
use super::redact::Redactor;
use crate::terminal::{OutputSink, TermSize};

/// One cast file being written. Times are measured from `origin`, shared by every
/// cast of a rehearsal, so one offset names the same moment in all of them.
pub struct CastFile {
    path: PathBuf,
    file: File,
    origin: Instant,
    /// Bytes of a UTF-8 character cut by a batch boundary, kept for the next batch.
    carry: Vec<u8>,
    redactor: Arc<Redactor>,
    /// With redaction on: the end of the output after its last newline, and when it
    /// arrived. A secret split across two batches is matched whole once the line is
    /// complete; the held text keeps its own time.
    pending: Option<(f64, String)>,
    /// The first write error; after it nothing more is written.
    error: Option<String>,
    last_time: f64,
}

impl std::fmt::Debug for CastFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CastFile")
            .field("path", &self.path)
            .finish()
    }
}

impl CastFile {
    /// Creates `path` (it must not exist) and writes the header.
    pub fn create(
        path: &Path,
        header: &Header,
        origin: Instant,
        redactor: Arc<Redactor>,
    ) -> std::io::Result<Self> {
        let mut file = File::options().write(true).create_new(true).open(path)?;
        let mut line = serde_json::to_string(header).map_err(std::io::Error::other)?;
        line.push('\n');
        file.write_all(line.as_bytes())?;
        Ok(Self {
            path: path.to_path_buf(),
            file,
            origin,
            carry: Vec::new(),
            redactor,
            pending: None,
            error: None,
            last_time: 0.0,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The first write error, if writing failed (a full disk, a removed folder).
    pub fn error(&self) -> Option<&str> {
        self.error.as_deref()
    }

    /// Seconds since the origin, never going back.
    fn now(&mut self) -> f64 {
        let t = self.origin.elapsed().as_secs_f64().max(self.last_time);
        self.last_time = t;
        t
    }

    fn write_event(&mut self, event: &Event) {
        if self.error.is_some() {
            return;
        }
        let mut line = event.to_line();
        line.push('\n');
        if let Err(e) = self.file.write_all(line.as_bytes()) {
            tracing::error!(file = %self.path.display(), error = %e, "recording stopped: cannot write");
            self.error = Some(format!("cannot write {}: {e}", self.path.display()));
        }
    }

    /// Output bytes, decoded as UTF-8 (a character cut at the end waits for the
    /// next batch; invalid bytes become U+FFFD, as asciinema does) and redacted.
    ///
    /// Without redaction each batch is written at once. With it, a line is written
    /// once complete (or at the next marker, resize or [`CastFile::finish`], or past
    /// [`MAX_PENDING`]), so a secret cut by a batch boundary is still masked.
    pub fn output(&mut self, bytes: &[u8]) {
        let mut buf = std::mem::take(&mut self.carry);
        buf.extend_from_slice(bytes);
        let keep = incomplete_tail_len(&buf);
        self.carry = buf.split_off(buf.len() - keep);
        if buf.is_empty() {
            return;
        }
        let text = String::from_utf8_lossy(&buf).into_owned();
        let now = self.now();
        if self.redactor.is_empty() {
            self.write_event(&Event::output(now, text));
            return;
        }
        let (time, mut held) = self.pending.take().unwrap_or((now, String::new()));
        held.push_str(&text);
        let cut = held.rfind('\n').map_or(0, |i| i + 1);
        let cut = if held.len() - cut > MAX_PENDING {
            held.len()
        } else {
            cut
        };
        let rest = held.split_off(cut);
        if !held.is_empty() {
            let redacted = self.redactor.redact(&held).into_owned();
            self.write_event(&Event::output(time, redacted));
        }
        if !rest.is_empty() {
            self.pending = Some((if held.is_empty() { time } else { now }, rest));
        }
    }

    /// Writes the output held back for redaction, at the time it arrived.
    fn flush_pending(&mut self) {
        if let Some((time, held)) = self.pending.take() {
            let redacted = self.redactor.redact(&held).into_owned();
            self.write_event(&Event::output(time, redacted));
        }
    }

    /// Writes what is still held: the held-back line, and a character the output
    /// ended in the middle of (as U+FFFD). The recording is complete after this.
    pub fn finish(&mut self) {
        if !self.carry.is_empty() {
            let tail = std::mem::take(&mut self.carry);
            let text = String::from_utf8_lossy(&tail).into_owned();
            match &mut self.pending {
                Some((_, held)) => held.push_str(&text),
                None => {
                    let time = self.now();
                    self.pending = Some((time, text));
                }
            }
        }
        self.flush_pending();
    }

    /// A labelled marker (`m`): a step's start or end. Returns its time.
    pub fn marker(&mut self, label: &str) -> f64 {
        self.flush_pending();
        let time = self.now();
        self.write_event(&Event::marker(time, label));
        time
    }

    pub fn resize(&mut self, size: TermSize) {
        self.flush_pending();
        let time = self.now();
        self.write_event(&Event {
            time,
            code: EventCode::Resize,
            data: format!("{}x{}", size.cols, size.rows),
        });
    }
}

/// The longest unfinished line held back for redaction: past it, it is written
/// (a secret longer than this split across batches could slip through).
pub const MAX_PENDING: usize = 4096;

impl Drop for CastFile {
    fn drop(&mut self) {
        self.finish();
    }
}

/// How many bytes at the end of `b` start a UTF-8 character that is not complete.
pub(crate) fn incomplete_tail_len(b: &[u8]) -> usize {
    for back in 1..=b.len().min(3) {
        let byte = b[b.len() - back];
        if byte & 0xC0 != 0x80 {
            let needs = match byte {
                0xC0..=0xDF => 2,
                0xE0..=0xEF => 3,
                0xF0..=0xF7 => 4,
                _ => 1,
            };
            return if needs > back { back } else { 0 };
        }
    }
    0
}

/// A cast file shared by the terminal's pipeline (output) and the rehearsal
/// (markers).
pub type SharedCast = Arc<Mutex<CastFile>>;

pub fn lock(cast: &SharedCast) -> MutexGuard<'_, CastFile> {
    cast.lock().unwrap_or_else(|e| e.into_inner())
}

/// The [`OutputSink`] that records a terminal into a [`SharedCast`].
pub struct CastSink(pub SharedCast);

impl OutputSink for CastSink {
    fn on_output(&mut self, bytes: &[u8], _at: Duration) {
        lock(&self.0).output(bytes);
    }

    fn on_marker(&mut self, label: &str, _at: Duration) {
        lock(&self.0).marker(label);
    }

    fn on_resize(&mut self, size: TermSize, _at: Duration) {
        lock(&self.0).resize(size);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::cast;

    #[test]
    fn split_characters_are_joined_and_output_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.cast");
        let mut f =
            CastFile::create(&path, &Header::v2(80, 24), Instant::now(), Arc::default()).unwrap();
        let text = "héllo → 🎉 done\r\n";
        for chunk in text.as_bytes().chunks(3) {
            f.output(chunk);
        }
        f.marker("end x");
        f.resize(TermSize {
            rows: 30,
            cols: 100,
        });
        let c = cast::read(&path).unwrap();
        assert_eq!(c.output(), text);
        assert!(c.events.iter().all(|e| !e.data.contains('\u{fffd}')));
        assert_eq!(c.events.last().unwrap().data, "100x30");
        assert!(c.events.windows(2).all(|w| w[0].time <= w[1].time));
    }

    #[test]
    fn redacts_before_writing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.cast");
        let redactor = Arc::new(Redactor::new(&["secret-\\w+".into()]));
        let mut f = CastFile::create(&path, &Header::v2(80, 24), Instant::now(), redactor).unwrap();
        f.output(b"token: secret-abc\n");
        let raw = std::fs::read_to_string(&path).unwrap();
        assert!(!raw.contains("secret-abc"));
        assert!(raw.contains("token: **********"));
    }

    #[test]
    fn a_secret_cut_by_a_batch_boundary_is_still_redacted() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.cast");
        let redactor = Arc::new(Redactor::new(&["secret-\\w+".into()]));
        let mut f = CastFile::create(&path, &Header::v2(80, 24), Instant::now(), redactor).unwrap();
        for chunk in ["token: secr", "et-abc", "123\nnext ", "line "] {
            f.output(chunk.as_bytes());
        }
        f.marker("end x");
        f.output(b"prompt$ ");
        drop(f);
        let c = cast::read(&path).unwrap();
        assert_eq!(c.output(), "token: *************\nnext line prompt$ ");
        assert!(!std::fs::read_to_string(&path)
            .unwrap()
            .contains("secret-abc"));
        assert!(c.events.windows(2).all(|w| w[0].time <= w[1].time));
        let marker = c
            .events
            .iter()
            .position(|e| e.code == EventCode::Marker)
            .unwrap();
        assert_eq!(
            c.events[marker - 1].data,
            "next line ",
            "held text goes out before the marker"
        );
    }

    #[test]
    fn a_character_cut_at_the_very_end_is_written_on_finish() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.cast");
        let mut f =
            CastFile::create(&path, &Header::v2(80, 24), Instant::now(), Arc::default()).unwrap();
        f.output(b"abc\xe2\x86");
        f.finish();
        assert_eq!(cast::read(&path).unwrap().output(), "abc\u{fffd}");
    }

    #[test]
    fn tail_lengths() {
        assert_eq!(incomplete_tail_len(b"abc"), 0);
        assert_eq!(incomplete_tail_len("é".as_bytes()), 0);
        assert_eq!(incomplete_tail_len(&"é".as_bytes()[..1]), 1);
        assert_eq!(incomplete_tail_len(&"🎉".as_bytes()[..3]), 3);
        assert_eq!(incomplete_tail_len(b"\xff"), 0);
    }
}
