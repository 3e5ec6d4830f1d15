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
use super::live_redact::{Ordered, Release};
use super::redact::Redactor;
use crate::terminal::HIDDEN_SETUP_MARKER;
use crate::terminal::{OutputSink, TermSize};

/// One cast file being written. Times are measured from `origin`, shared by every
/// cast of a rehearsal, so one offset names the same moment in all of them.
pub struct CastFile {
    path: PathBuf,
    file: File,
    origin: Instant,
    /// Bytes of a UTF-8 character cut by a batch boundary, kept for the next batch
    /// (without redaction; with it, the [`Ordered`] keeps them).
    carry: Vec<u8>,
    /// With redaction on: the output, markers and resizes, held until the line they
    /// are in ends (see [`CastFile::output`]), so that neither a batch boundary nor
    /// a marker or resize between two pieces of a secret keeps it from matching.
    held: Option<Ordered<Held>>,
    /// The first write error; after it nothing more is written.
    error: Option<String>,
    last_time: f64,
}

/// What waits in a recording behind a held line, with its time.
#[derive(Debug)]
enum Held {
    Marker(f64, String),
    Resize(f64, TermSize),
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
            held: (!redactor.is_empty()).then(|| Ordered::new(redactor)),
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

    /// Writes what redaction let out, each piece at the time it arrived.
    fn write_released(&mut self, released: Vec<Release<Held>>) {
        for r in released {
            match r {
                Release::Text(text, at) => {
                    if !text.is_empty() {
                        self.write_event(&Event::output(at.as_secs_f64(), text));
                    }
                }
                Release::Event(Held::Marker(time, label)) => {
                    self.write_event(&Event::marker(time, label));
                }
                Release::Event(Held::Resize(time, size)) => self.write_resize(time, size),
            }
        }
    }

    /// Masks with `redactor` from now on (a block whose output is masked whole
    /// starts or ends): the line under way is masked with both (see
    /// [`crate::record::live_redact::LiveRedactor::set_redactor`]).
    pub fn set_redactor(&mut self, redactor: Arc<Redactor>) {
        match &mut self.held {
            Some(held) => held.set_redactor(redactor),
            None => {
                // Written straight so far: nothing is held but a cut character,
                // which goes on to the redacted stream.
                let mut held = Ordered::new(redactor);
                let carry = std::mem::take(&mut self.carry);
                let now = Duration::from_secs_f64(self.now());
                let out = held.output(&carry, now);
                self.held = Some(held);
                self.write_released(out);
            }
        }
    }

    /// Output bytes, decoded as UTF-8 (a character cut at the end waits for the
    /// next batch; invalid bytes become U+FFFD, as asciinema does) and redacted.
    ///
    /// Without redaction each batch is written at once. With it, a line is written
    /// once complete (or at [`CastFile::finish`]; past [`MAX_PENDING`], all but its
    /// last [`HOLD_BACK`](super::live_redact::HOLD_BACK) bytes), and markers and resizes that come while a line is
    /// held are written after it, so a secret cut by a batch boundary, a marker or
    /// a resize is still matched whole. Each piece keeps the time it arrived.
    pub fn output(&mut self, bytes: &[u8]) {
        let now = self.now();
        if let Some(held) = &mut self.held {
            let out = held.output(bytes, Duration::from_secs_f64(now));
            self.write_released(out);
            return;
        }
        let mut buf = std::mem::take(&mut self.carry);
        buf.extend_from_slice(bytes);
        let keep = incomplete_tail_len(&buf);
        self.carry = buf.split_off(buf.len() - keep);
        if buf.is_empty() {
            return;
        }
        let text = String::from_utf8_lossy(&buf).into_owned();
        self.write_event(&Event::output(now, text));
    }

    /// Writes what is still held: the held-back line, the events behind it, and a
    /// character the output ended in the middle of (as U+FFFD). The recording is
    /// complete after this.
    pub fn finish(&mut self) {
        if let Some(held) = &mut self.held {
            let out = held.finish();
            self.write_released(out);
            return;
        }
        if !self.carry.is_empty() {
            let tail = std::mem::take(&mut self.carry);
            let text = String::from_utf8_lossy(&tail).into_owned();
            let time = self.now();
            self.write_event(&Event::output(time, text));
        }
    }

    /// A labelled marker (`m`): a step's start or end (kept as is: playback finds
    /// steps by them), or what a hidden setup line printed (redacted like output: it
    /// may hold a token). Returns its time. Written after the line under way, if
    /// one is held for redaction.
    pub fn marker(&mut self, label: &str) -> f64 {
        let time = self.now();
        let Some(held) = &mut self.held else {
            self.write_event(&Event::marker(time, label.to_string()));
            return time;
        };
        let label = if label.starts_with(HIDDEN_SETUP_MARKER) {
            held.redact_alone(label)
        } else {
            label.to_string()
        };
        let out = held.event(Held::Marker(time, label));
        self.write_released(out);
        time
    }

    pub fn resize(&mut self, size: TermSize) {
        let time = self.now();
        match &mut self.held {
            Some(held) => {
                let out = held.event(Held::Resize(time, size));
                self.write_released(out);
            }
            None => self.write_resize(time, size),
        }
    }

    fn write_resize(&mut self, time: f64, size: TermSize) {
        self.write_event(&Event {
            time,
            code: EventCode::Resize,
            data: format!("{}x{}", size.cols, size.rows),
        });
    }
}

/// The longest unfinished line held back for redaction before most of it is
/// written (see [`HOLD_BACK`](super::live_redact::HOLD_BACK)).
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

    fn on_redaction(&mut self, redactor: &Arc<Redactor>) {
        lock(&self.0).set_redactor(Arc::clone(redactor));
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
    fn hidden_setup_markers_are_redacted_and_step_markers_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.cast");
        let redactor = Arc::new(Redactor::new(&["secret-\\w+".into()]));
        let mut f = CastFile::create(&path, &Header::v2(80, 24), Instant::now(), redactor).unwrap();
        f.marker("start secret-step");
        f.marker(&format!(
            "{HIDDEN_SETUP_MARKER} (exit 0): export T=secret-abc\n"
        ));
        let raw = std::fs::read_to_string(&path).unwrap();
        assert!(raw.contains("start secret-step"), "{raw}");
        assert!(!raw.contains("secret-abc"), "{raw}");
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
        let before: String = c.events[..marker]
            .iter()
            .filter(|e| e.code == EventCode::Output)
            .map(|e| e.data.as_str())
            .collect();
        assert_eq!(
            before, "token: *************\nnext line ",
            "held text goes out before the marker"
        );
    }

    fn redacting(patterns: &[&str]) -> (tempfile::TempDir, PathBuf, CastFile) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.cast");
        let patterns: Vec<String> = patterns.iter().map(|p| (*p).to_owned()).collect();
        let redactor = Arc::new(Redactor::new(&patterns));
        let f = CastFile::create(&path, &Header::v2(80, 24), Instant::now(), redactor).unwrap();
        (dir, path, f)
    }

    #[test]
    fn markers_and_resizes_never_cut_a_secret_and_keep_their_place() {
        let (_dir, path, mut f) = redacting(&["zq9xk7vw[a-z0-9]+"]);
        f.output(b"key zq9x");
        f.marker("end one");
        f.output(b"k7vw");
        f.resize(TermSize {
            rows: 30,
            cols: 100,
        });
        f.output(b"qj3m done\n");
        f.marker("start two");
        drop(f);
        let raw = std::fs::read_to_string(&path).unwrap();
        assert!(!raw.contains("zq9x") && !raw.contains("qj3m"), "{raw}");
        let c = cast::read(&path).unwrap();
        let kinds: Vec<String> = c
            .events
            .iter()
            .map(|e| format!("{:?} {}", e.code, e.data))
            .collect();
        assert_eq!(
            kinds,
            [
                "Output key ****",
                "Marker end one",
                "Output ****",
                "Resize 100x30",
                "Output **** done\n",
                "Marker start two",
            ]
        );
        assert!(c.events.windows(2).all(|w| w[0].time <= w[1].time));
    }

    #[test]
    fn a_long_line_cut_in_the_middle_of_a_secret_still_masks_it_whole() {
        let (_dir, path, mut f) = redacting(&["zq9xk7vw[a-z0-9]+"]);
        let mut first = "y".repeat(4090);
        first.push_str("zq9xk7vw");
        f.output(first.as_bytes());
        f.output(b"qj3mpp8t-");
        f.output("y".repeat(893).as_bytes());
        f.output(b"\n");
        drop(f);
        let c = cast::read(&path).unwrap();
        let out = c.output();
        assert_eq!(out.len(), 4090 + 16 + 894 + 1);
        assert!(
            out.contains(&format!("y{}-y", "*".repeat(16))),
            "masked whole"
        );
        assert!(c.events.len() >= 2, "most of the line went out early");
    }

    #[test]
    fn a_switch_of_patterns_masks_the_line_under_way_with_both() {
        let (_dir, path, mut f) = redacting(&["zq9xk7vw[a-z0-9]+"]);
        f.output(b"$ ");
        let all = Arc::new(Redactor::new(&["zq9xk7vw[a-z0-9]+".into(), ".+".into()]));
        f.set_redactor(all);
        f.output(b"echo hidden\r\nhidden tj8m");
        f.marker("end masked");
        f.set_redactor(Arc::new(Redactor::new(&["zq9xk7vw[a-z0-9]+".into()])));
        f.output(b"vq2z\n$ shown zq9xk7vwq\n");
        drop(f);
        let out = cast::read(&path).unwrap().output();
        assert_eq!(out, "*************\r\n***************\n$ shown *********\n");
    }

    #[test]
    fn a_cast_without_patterns_starts_redacting_when_told() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.cast");
        let mut f =
            CastFile::create(&path, &Header::v2(80, 24), Instant::now(), Arc::default()).unwrap();
        f.output(b"plain \xe2\x86");
        f.set_redactor(Arc::new(Redactor::new(&[".+".into()])));
        f.output(b"\x92 tj8mvq2z\n");
        f.set_redactor(Arc::default());
        f.output(b"after\n");
        drop(f);
        assert_eq!(
            cast::read(&path).unwrap().output(),
            "plain **********\nafter\n"
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
