//! The screen model of a terminal (vt100): what the terminal shows now, for
//! snapshots, late-joining windows and prompt detection.
//!
//! vt100 parses some 30 MB/s, slower than a PTY can produce. During a burst of plain
//! text most lines scroll out of sight before anyone could see them, so
//! [`Screen::feed`] skips them: when a batch holds, after its first line, a run of
//! plain text (no escape sequence) with at least a screen's height of CRLF-ended
//! lines, followed by at least a screen's height more, that run is replaced by as
//! many empty lines as the screen has rows. The visible screen ends the same; only
//! the screen model's own scrollback misses those lines (the UI's xterm gets every
//! byte regardless).

use std::num::NonZeroU16;

use serde::Serialize;

/// Rows and columns of a terminal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct TermSize {
    pub rows: u16,
    pub cols: u16,
}

impl Default for TermSize {
    fn default() -> Self {
        Self {
            rows: 30,
            cols: 120,
        }
    }
}

/// What a terminal shows at one moment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ScreenSnapshot {
    pub size: TermSize,
    /// The visible text, rows joined by newlines.
    pub text: String,
    /// Bytes that redraw the visible screen (colours included) in a fresh terminal:
    /// what a late-joining window writes to its xterm before the live stream.
    #[serde(skip)]
    pub redraw: Vec<u8>,
    /// Cursor (row, column), 0-based.
    pub cursor: (u16, u16),
}

/// A vt100 screen fed with the terminal's output.
pub struct Screen {
    parser: vt100::Parser,
    /// `rows` CRLFs: what a skipped run of lines is replaced with.
    blank_lines: Vec<u8>,
    /// Bytes not parsed thanks to skipping, for benchmarks.
    skipped: u64,
}

impl std::fmt::Debug for Screen {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Screen")
            .field("size", &self.size())
            .finish()
    }
}

fn nonzero(n: u16) -> NonZeroU16 {
    NonZeroU16::new(n).unwrap_or(NonZeroU16::MIN)
}

impl Screen {
    pub fn new(size: TermSize, scrollback: usize) -> Self {
        Self {
            parser: vt100::Parser::new(nonzero(size.rows), nonzero(size.cols), scrollback),
            blank_lines: b"\r\n".repeat(usize::from(size.rows.max(1))),
            skipped: 0,
        }
    }

    pub fn feed(&mut self, bytes: &[u8]) {
        let rows = self.blank_lines.len() / 2;
        match skippable_run(bytes, rows) {
            Some((from, to)) => {
                self.parser.process(&bytes[..from]);
                self.parser.process(&self.blank_lines);
                self.parser.process(&bytes[to..]);
                self.skipped += (to - from) as u64;
            }
            None => self.parser.process(bytes),
        }
    }

    /// Bytes left unparsed because they scrolled out of sight within one batch.
    pub fn skipped_bytes(&self) -> u64 {
        self.skipped
    }

    pub fn resize(&mut self, size: TermSize) {
        self.parser.set_size(nonzero(size.rows), nonzero(size.cols));
        self.blank_lines = b"\r\n".repeat(usize::from(size.rows.max(1)));
    }

    pub fn size(&self) -> TermSize {
        let (rows, cols) = self.parser.screen().size();
        TermSize {
            rows: rows.get(),
            cols: cols.get(),
        }
    }

    /// The text of the cursor's row up to the cursor: where a program's prompt is.
    pub fn text_before_cursor(&self) -> String {
        let screen = self.parser.screen();
        let (row, col) = screen.cursor_position();
        screen
            .rows(0, col)
            .nth(usize::from(row))
            .unwrap_or_default()
    }

    /// Every visible cell (text, colours, attributes, wide characters) and the
    /// cursor: what a terminal snapshot draws.
    pub fn cells(&self) -> crate::capture::snapshot::Cells {
        crate::capture::snapshot::Cells::from_vt(self.parser.screen())
    }

    pub fn snapshot(&self) -> ScreenSnapshot {
        let screen = self.parser.screen();
        ScreenSnapshot {
            size: self.size(),
            text: screen.contents(),
            redraw: screen.contents_formatted().into_bytes(),
            cursor: screen.cursor_position(),
        }
    }
}

/// Runs shorter than this are parsed: skipping would gain little.
const MIN_SKIP: usize = 16 * 1024;

/// The run `from..to` of `bytes` that can be skipped (see the module doc), if any:
/// it starts after the first line, ends just after a CRLF, holds no ESC and at least
/// `rows` newlines, and at least `rows` newlines follow it.
fn skippable_run(bytes: &[u8], rows: usize) -> Option<(usize, usize)> {
    if bytes.len() < MIN_SKIP {
        return None;
    }
    let from = memchr::memchr(b'\n', bytes)? + 1;
    let to = memchr::memrchr_iter(b'\n', bytes).nth(rows)? + 1;
    if to < from + MIN_SKIP || bytes.get(to.checked_sub(2)?) != Some(&b'\r') {
        return None;
    }
    let run = &bytes[from..to];
    if memchr::memchr(0x1b, run).is_some()
        || memchr::memchr_iter(b'\n', run).nth(rows - 1).is_none()
    {
        return None;
    }
    Some((from, to))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tracks_text_and_cursor() {
        let mut s = Screen::new(TermSize { rows: 5, cols: 20 }, 100);
        s.feed(b"hello\r\n\x1b[32m>>> \x1b[0m");
        assert_eq!(s.text_before_cursor(), ">>> ");
        let snap = s.snapshot();
        assert_eq!(snap.text, "hello\n>>> ");
        assert_eq!(snap.cursor, (1, 4));
        let mut other = Screen::new(TermSize { rows: 5, cols: 20 }, 0);
        other.feed(&snap.redraw);
        assert_eq!(other.snapshot().text, snap.text);
    }

    #[test]
    fn skipping_a_burst_keeps_the_visible_screen_exact() {
        let size = TermSize { rows: 5, cols: 20 };
        let mut burst = b"\x1b[31mhead".to_vec();
        for i in 0..20_000 {
            burst.extend_from_slice(format!("line {i}\r\n").as_bytes());
        }
        burst.extend_from_slice(b"tail \x1b[1mbold");
        let mut fast = Screen::new(size, 0);
        fast.feed(&burst);
        assert!(fast.skipped_bytes() > 100_000);
        let mut slow = Screen::new(size, 0);
        for chunk in burst.chunks(1000) {
            slow.feed(chunk);
        }
        assert_eq!(slow.skipped_bytes(), 0);
        assert_eq!(fast.snapshot(), slow.snapshot());
    }
}
