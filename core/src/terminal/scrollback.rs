//! The rows that scrolled off the top of a terminal's screen model, as many as a
//! view keeps in its scrollback: what a view that skipped frames is sent, before
//! the screen, so that nothing it scrolls back to is missing (see
//! [`super::screen::Screen::resync`]).
//!
//! The screen model itself keeps no scrollback: vt100 allocates a row per scrolled
//! line and runs four times slower with one (10 MB/s on `seq`, against 50 MB/s
//! without). Instead, vt100 hands each row it pushes off the screen to
//! [`ScrollbackRing::on_scroll`], which keeps it as the bytes that draw it (text
//! and SGR colours); and a run of plain lines the screen model skips
//! ([`ScrollbackRing::push_plain`]) is kept as the bytes it was.

use std::collections::VecDeque;
use std::fmt::Write as _;

use vt100::capture::{BasicFormattedCaptureState, RowContents};

/// How many bytes the kept rows may hold at most, whatever their count (a
/// program that prints megabyte-long lines).
const MAX_BYTES: usize = 4 * 1024 * 1024;

/// One kept line: the bytes that draw it from column 0 with default attributes.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Line {
    bytes: Box<[u8]>,
    /// Screen rows it takes (a plain line longer than the screen is wide wraps).
    rows: usize,
    /// It continues on the next line (a row vt100 wrapped): no line break after it.
    wrapped: bool,
    /// It holds SGR sequences: the attributes are reset after it.
    styled: bool,
}

/// The newest rows that scrolled off the screen, at most `capacity` of them.
#[derive(Debug, Default)]
pub struct ScrollbackRing {
    capacity: usize,
    lines: VecDeque<Line>,
    rows: usize,
    bytes: usize,
    /// The window title a program last set (OSC 0 or 2), redrawn with the screen.
    pub(crate) title: Option<String>,
}

impl ScrollbackRing {
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity,
            ..Self::default()
        }
    }

    /// Rows kept now.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Whether it holds as many rows as a view's scrollback: then a view given them
    /// loses every row it had before, however stale.
    pub fn full(&self) -> bool {
        self.capacity > 0 && self.rows == self.capacity
    }

    /// Forgets every row (`CSI 3 J`, a full reset).
    pub fn clear(&mut self) {
        self.lines.clear();
        self.rows = 0;
        self.bytes = 0;
    }

    /// Keeps the lines of a run of plain text (no escape sequence, CRLF-ended)
    /// that scrolled off unparsed; `attrs` draws the attributes in force when it
    /// started. Only its newest `capacity` lines are looked at: older ones would be
    /// dropped at once.
    pub fn push_plain(&mut self, run: &[u8], attrs: &str, cols: u16) {
        if self.capacity == 0 {
            return;
        }
        let from = memchr::memrchr_iter(b'\n', run)
            .nth(self.capacity)
            .map_or(0, |i| i + 1);
        let styled = !attrs.is_empty();
        let newest = &run[from..];
        let newest = newest.strip_suffix(b"\n").unwrap_or(newest);
        if newest.is_empty() {
            return;
        }
        for line in newest.split(|&b| b == b'\n') {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            let mut bytes = Vec::with_capacity(attrs.len() + line.len());
            bytes.extend_from_slice(attrs.as_bytes());
            bytes.extend_from_slice(line);
            let rows = rows_of(line, cols);
            self.push(Line {
                bytes: bytes.into_boxed_slice(),
                rows,
                wrapped: false,
                styled,
            });
        }
    }

    /// Writes what redraws the kept rows into a fresh terminal, each followed by
    /// a line break unless it wraps onto the next.
    pub fn write_to(&self, out: &mut Vec<u8>) {
        for line in &self.lines {
            out.extend_from_slice(&line.bytes);
            if line.styled {
                out.extend_from_slice(b"\x1b[m");
            }
            if !line.wrapped {
                out.extend_from_slice(b"\r\n");
            }
        }
    }

    fn push(&mut self, line: Line) {
        self.rows += line.rows;
        self.bytes += line.bytes.len();
        self.lines.push_back(line);
        while self.rows > self.capacity || self.bytes > MAX_BYTES {
            let Some(old) = self.lines.pop_front() else {
                break;
            };
            self.rows -= old.rows;
            self.bytes -= old.bytes.len();
        }
    }
}

/// Screen rows a plain line takes at `cols` columns.
fn rows_of(line: &[u8], cols: u16) -> usize {
    let width = match std::str::from_utf8(line) {
        Ok(text) => unicode_width::UnicodeWidthStr::width(text),
        Err(_) => line.len(),
    };
    width.div_ceil(usize::from(cols.max(1))).max(1)
}

/// A writer that keeps only the first character written to it, then stops the
/// writing: whether a row's capture starts with a line break (see `wrapped`).
struct FirstChar(Option<char>);

impl std::fmt::Write for FirstChar {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.0 = s.chars().next();
        Err(std::fmt::Error)
    }
}

/// Whether vt100 wrapped `row` onto the next one: a capture state that has just
/// written the row starts the next with a line break exactly when it did not.
fn wrapped(row: &RowContents<'_>, state: &mut BasicFormattedCaptureState) -> bool {
    let mut first = FirstChar(None);
    let _ = row.write_formatted_basic(&mut first, state);
    first.0 != Some('\n')
}

impl vt100::Callbacks for ScrollbackRing {
    fn on_scroll(&mut self, contents: RowContents<'_>, alternate_screen: bool) {
        // A full-screen program's own screen has no scrollback in a view either.
        if alternate_screen || self.capacity == 0 {
            return;
        }
        let mut state = BasicFormattedCaptureState::new();
        let mut text = String::new();
        if contents
            .write_formatted_basic(&mut text, &mut state)
            .is_err()
        {
            return;
        }
        let wrapped = wrapped(&contents, &mut state);
        let styled = text.contains('\x1b');
        self.push(Line {
            bytes: text.into_bytes().into_boxed_slice(),
            rows: 1,
            wrapped,
            styled,
        });
    }

    fn set_window_title(&mut self, _: &mut vt100::Screen, title: &[u8]) {
        self.title = Some(String::from_utf8_lossy(title).into_owned());
    }
}

/// The OSC sequence that sets `title`, with what could end it early removed.
pub(crate) fn title_sequence(title: &str) -> String {
    let mut out = String::from("\x1b]2;");
    for c in title.chars().filter(|c| !c.is_control()) {
        let _ = out.write_char(c);
    }
    out.push('\x07');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drawn(ring: &ScrollbackRing) -> String {
        let mut out = Vec::new();
        ring.write_to(&mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn keeps_the_newest_rows_up_to_its_capacity() {
        let mut ring = ScrollbackRing::new(3);
        ring.push_plain(b"1\r\n2\r\n3\r\n4\r\n5\r\n", "", 80);
        assert_eq!(drawn(&ring), "3\r\n4\r\n5\r\n");
        assert_eq!(ring.rows(), 3);
        ring.clear();
        assert_eq!(drawn(&ring), "");
    }

    #[test]
    fn long_plain_lines_count_the_rows_they_wrap_to() {
        let mut ring = ScrollbackRing::new(4);
        let long = "x".repeat(25);
        ring.push_plain(format!("a\r\n{long}\r\nb\r\n").as_bytes(), "", 10);
        assert_eq!(
            drawn(&ring),
            format!("{long}\r\nb\r\n"),
            "a is dropped: 3 + 1 rows"
        );
    }

    #[test]
    fn plain_runs_carry_the_attributes_they_started_with() {
        let mut ring = ScrollbackRing::new(5);
        ring.push_plain(b"red\r\n", "\x1b[31m", 80);
        assert_eq!(drawn(&ring), "\x1b[31mred\x1b[m\r\n");
    }

    #[test]
    fn titles_lose_what_would_end_them_early() {
        assert_eq!(title_sequence("a\x07b\x1b"), "\x1b]2;ab\x07");
    }
}
