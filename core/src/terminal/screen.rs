//! The screen model of a terminal (vt100): what the terminal shows now, for
//! snapshots, late-joining windows, views that skipped frames, and prompt
//! detection.
//!
//! vt100 parses some 50 MB/s, slower than a PTY can produce. During a burst of plain
//! text most lines scroll out of sight before anyone could see them, so
//! [`Screen::feed`] skips them: when a batch holds, after its first line, a run of
//! plain text (no escape sequence) with at least a screen's height of CRLF-ended
//! lines, followed by at least a screen's height more, that run is not parsed. The
//! rows on screen before it are scrolled off as it would have scrolled them, its
//! lines go to the scrollback ring as the bytes they were, and the screen is
//! blanked for the lines after it: the visible screen and the scrollback end the
//! same as if every byte had been parsed.
//!
//! The scrollback is not vt100's (see [`super::scrollback`]): the rows that scroll
//! off are kept in a [`ScrollbackRing`] as long as the view's scrollback, so that
//! [`Screen::resync`] redraws a view whole.

use std::num::NonZeroU16;

use serde::Serialize;

use super::scrollback::{title_sequence, ScrollbackRing};

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

/// Rows a view keeps in its scrollback, and so the screen model (the presenter's and
/// the audience's xterm.js are made with `scrollback: 5000`: ui/src/shared/terminal-view.ts).
pub const VIEW_SCROLLBACK: usize = 5000;

/// The OSC of Cuedeck's own that starts every resync: views count resyncs by it (a
/// program's own `ESC c` is not one), other terminals ignore it. terminal-view.ts
/// registers the same number.
pub const RESYNC_OSC: u16 = 5379;

/// A cancel (ending any sequence the view was cut in), then the resync's OSC.
fn resync_mark() -> String {
    format!("\x18\x1b]{RESYNC_OSC};resync\x07")
}

/// What a full reset would reset, for a view whose every row is rewritten next: the
/// normal screen, DECSTR (charsets, saved cursor, modes), then explicitly what a
/// soft reset leaves or not every terminal's DECSTR resets: attributes, margins,
/// origin, autowrap, insert, cursor, keypad, cursor keys, bracketed paste, mouse
/// and focus reports; then the screen cleared, the cursor home.
const SOFT_RESET: &[u8] = b"\x1b[?1049l\x1b[!p\x1b[m\x1b[r\x1b[?6l\x1b[?7h\x1b[4l\x1b[?25h\x1b>\
    \x1b[?1l\x1b[?2004l\x1b[?9l\x1b[?1000l\x1b[?1002l\x1b[?1003l\x1b[?1004l\x1b[?1005l\
    \x1b[?1006l\x1b[?1015l\x1b[H\x1b[2J";

/// A vt100 screen fed with the terminal's output, and the rows that scrolled off it.
pub struct Screen {
    parser: vt100::Parser<ScrollbackRing>,
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
    /// A blank screen keeping `scrollback` rows that scroll off it (0: none).
    pub fn new(size: TermSize, scrollback: usize) -> Self {
        Self {
            parser: vt100::Parser::new_with_callbacks(
                nonzero(size.rows),
                nonzero(size.cols),
                0,
                ScrollbackRing::new(scrollback),
            ),
            skipped: 0,
        }
    }

    pub fn feed(&mut self, bytes: &[u8]) {
        let mut rest = bytes;
        // The ring forgets what a view forgets: `CSI 3 J` (`clear`) or a reset.
        while let Some(end) = scrollback_cleared_at(rest) {
            self.feed_skipping(&rest[..end]);
            self.parser.callbacks_mut().clear();
            rest = &rest[end..];
        }
        self.feed_skipping(rest);
    }

    fn feed_skipping(&mut self, bytes: &[u8]) {
        let TermSize { rows, cols } = self.size();
        let Some((from, to)) = skippable_run(bytes, usize::from(rows)) else {
            self.parser.process(bytes);
            return;
        };
        self.parser.process(&bytes[..from]);
        // The run starts at column 0 of the cursor's row: the rows above scroll off
        // as it would scroll them, those from the cursor's down it would overwrite.
        let attrs = self.parser.screen().attributes_formatted();
        let mut scroll = b"\x1b[m\x1b[J".to_vec();
        scroll.extend(b"\r\n".repeat(usize::from(rows - 1)));
        scroll.extend_from_slice(b"\x1b[H");
        self.parser.process(&scroll);
        let attrs = if attrs == "\x1b[m" { "" } else { &attrs };
        self.parser
            .callbacks_mut()
            .push_plain(&bytes[from..to], attrs, cols);
        self.parser.process(attrs.as_bytes());
        self.parser.process(&bytes[to..]);
        self.skipped += (to - from) as u64;
    }

    /// The bytes that bring a view that skipped output to exactly this state: Cuedeck's
    /// resync mark, a reset, the scrollback rows (pushed into the view's scrollback),
    /// the screen with its colours and cursor, the input modes and the title.
    ///
    /// The reset is a full one (`ESC c`) unless the ring is full: then the rows pushed
    /// replace every row the view had, and a soft reset does. The view then reuses its
    /// buffer's rows, where after `ESC c` xterm.js makes its 5000 rows anew at each
    /// resync: in a long flood that garbage grew the web process by hundreds of MB.
    pub fn resync(&self) -> Vec<u8> {
        let screen = self.parser.screen();
        let ring = self.parser.callbacks();
        let mut out = resync_mark().into_bytes();
        out.extend_from_slice(if ring.full() { SOFT_RESET } else { b"\x1bc" });
        if ring.rows() > 0 {
            ring.write_to(&mut out);
            let rows = self.size().rows;
            out.extend(b"\r\n".repeat(usize::from(rows - 1)));
        }
        if screen.alternate_screen() {
            out.extend_from_slice(b"\x1b[?1049h");
        }
        out.extend_from_slice(screen.contents_formatted().as_bytes());
        out.extend_from_slice(screen.input_mode_formatted().as_bytes());
        if let Some(title) = &ring.title {
            out.extend_from_slice(title_sequence(title).as_bytes());
        }
        out
    }

    /// Whether a full-screen program has the screen (its own, without scrollback).
    pub fn alternate_screen(&self) -> bool {
        self.parser.screen().alternate_screen()
    }

    /// Bytes left unparsed because they scrolled out of sight within one batch.
    pub fn skipped_bytes(&self) -> u64 {
        self.skipped
    }

    pub fn resize(&mut self, size: TermSize) {
        self.parser.set_size(nonzero(size.rows), nonzero(size.cols));
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

/// Where in `bytes` the first sequence that clears the scrollback ends (`CSI 3 J`,
/// or `ESC c`, a full reset), if any.
fn scrollback_cleared_at(bytes: &[u8]) -> Option<usize> {
    let erase = memchr::memmem::find(bytes, b"\x1b[3J").map(|i| i + 4);
    let reset = memchr::memmem::find(bytes, b"\x1bc").map(|i| i + 2);
    match (erase, reset) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
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

    /// Every cell of a row: its text, colours and boldness.
    fn cells_of(screen: &vt100::Screen, row: u16) -> String {
        let (_, cols) = screen.size();
        (0..cols.get())
            .map(|c| match screen.cell(row, c) {
                Some(cell) => format!(
                    "{}{:?}{:?}{}",
                    cell.contents(),
                    cell.fgcolor(),
                    cell.bgcolor(),
                    u8::from(cell.bold())
                ),
                None => String::new(),
            })
            .chain([format!(" wrapped: {}", screen.row_wrapped(row))])
            .collect()
    }

    /// The scrollback rows (oldest first) and the screen, cell by cell, and the cursor.
    fn whole(parser: &mut vt100::Parser) -> (Vec<String>, Vec<String>, (u16, u16)) {
        let rows = parser.screen().size().0.get();
        parser.screen_mut().set_scrollback(usize::MAX);
        let kept = parser.screen().scrollback();
        let mut scrollback = Vec::new();
        for offset in (1..=kept).rev() {
            parser.screen_mut().set_scrollback(offset);
            scrollback.push(cells_of(parser.screen(), 0));
        }
        parser.screen_mut().set_scrollback(0);
        let screen = (0..rows).map(|r| cells_of(parser.screen(), r)).collect();
        (scrollback, screen, parser.screen().cursor_position())
    }

    /// Feeds `stream` in `chunk`-byte batches to a screen model keeping `kept` rows
    /// and checks that a view given only its resync ends exactly like a view given
    /// every byte: scrollback, screen (text, colours) and cursor.
    fn resync_equals_every_byte(stream: &[u8], chunk: usize, kept: usize) -> u64 {
        let size = TermSize { rows: 6, cols: 24 };
        let mut model = Screen::new(size, kept);
        for batch in stream.chunks(chunk) {
            model.feed(batch);
        }
        let view = || vt100::Parser::new(nonzero(size.rows), nonzero(size.cols), kept);
        let mut every_byte = view();
        every_byte.process(stream);
        let want = whole(&mut every_byte);
        // A fresh view, and views that fell behind after some of the stream (cut
        // anywhere, even inside a sequence), given the resync.
        for seen in [0, stream.len() / 3, stream.len() * 2 / 3 + 1] {
            let mut resynced = view();
            resynced.process(&stream[..seen]);
            resynced.process(&model.resync());
            let got = whole(&mut resynced);
            assert_eq!(
                got.0.len(),
                want.0.len(),
                "scrollback rows, after {seen} bytes seen"
            );
            for (i, (g, w)) in got.0.iter().zip(&want.0).enumerate() {
                assert_eq!(g, w, "scrollback row {i}, after {seen} bytes seen");
            }
            assert_eq!(got.1, want.1, "screen, after {seen} bytes seen");
            assert_eq!(got.2, want.2, "cursor, after {seen} bytes seen");
        }
        model.skipped_bytes()
    }

    fn numbered(lines: std::ops::Range<u32>) -> Vec<u8> {
        lines
            .flat_map(|i| format!("{i}\r\n").into_bytes())
            .collect()
    }

    #[test]
    fn a_resync_after_a_skipped_flood_is_every_byte() {
        let mut stream = b"$ \x1b[1mseq\x1b[m 1 20000\r\n\x1b[33m".to_vec();
        stream.extend(numbered(1..20_001));
        stream.extend_from_slice(b"\x1b[m$ ");
        assert!(resync_equals_every_byte(&stream, 64 * 1024, 300) > 50_000);
        // The same in small batches: nothing skipped, the ring fed by vt100 alone.
        assert_eq!(resync_equals_every_byte(&stream, 700, 300), 0);
    }

    #[test]
    fn a_resync_keeps_colours_and_wrapped_lines_in_the_scrollback() {
        let mut stream = Vec::new();
        for i in 0..400 {
            let colour = 31 + i % 6;
            stream
                .extend(format!("\x1b[{colour}mline {i}\x1b[m {}\r\n", "x".repeat(i % 60)).bytes());
        }
        stream.extend_from_slice("wide: 表示 ✓\r\n$ ".as_bytes());
        resync_equals_every_byte(&stream, 4096, 250);
    }

    #[test]
    fn a_resync_forgets_what_clear_erased() {
        let mut stream = numbered(0..100);
        stream.extend_from_slice(b"\x1b[H\x1b[2J\x1b[3J");
        stream.extend(numbered(100..110));
        resync_equals_every_byte(&stream, 1000, 500);
    }

    #[test]
    fn a_full_ring_is_resynced_without_a_full_reset_and_clears_stale_modes() {
        let size = TermSize { rows: 6, cols: 24 };
        // What the view saw: modes, margins and colours a program set, then left.
        let mut seen = b"\x1b[?1000h\x1b[?2004h\x1b[?1h\x1b[2;4r\x1b[33mstale".to_vec();
        seen.extend(numbered(0..40));
        let mut rest = b"\x1b[?1000l\x1b[?2004l\x1b[?1l\x1b[r\x1b[m".to_vec();
        rest.extend(numbered(40..2000));
        rest.extend_from_slice(b"$ ");
        let mut model = Screen::new(size, 200);
        model.feed(&seen);
        model.feed(&rest);
        let resync = model.resync();
        assert!(
            !resync.windows(2).any(|w| w == b"\x1bc"),
            "a full ring needs no ESC c"
        );
        assert!(resync.starts_with(resync_mark().as_bytes()));
        let view = || vt100::Parser::new(nonzero(6), nonzero(24), 200);
        let mut every_byte = view();
        every_byte.process(&seen);
        every_byte.process(&rest);
        let mut resynced = view();
        resynced.process(&seen);
        resynced.process(&resync);
        assert_eq!(whole(&mut resynced), whole(&mut every_byte));
        let (s, w) = (resynced.screen(), every_byte.screen());
        assert_eq!(s.mouse_protocol_mode(), w.mouse_protocol_mode());
        assert_eq!(s.bracketed_paste(), w.bracketed_paste());
        assert_eq!(s.application_cursor(), w.application_cursor());
        assert_eq!(s.attributes_formatted(), w.attributes_formatted());
        // Not full: a reset, as before.
        let mut short = Screen::new(size, 200);
        short.feed(&numbered(0..50));
        assert!(short.resync().windows(2).any(|w| w == b"\x1bc"));
    }

    #[test]
    fn a_resync_in_a_full_screen_program_draws_its_screen() {
        let size = TermSize { rows: 6, cols: 24 };
        let mut model = Screen::new(size, 100);
        model.feed(&numbered(0..50));
        model.feed(b"\x1b[?1049h\x1b[H\x1b[2J\x1b[7mtop\x1b[m\x1b[?1h\x1b]2;vim\x07");
        let mut view = vt100::Parser::new(nonzero(6), nonzero(24), 100);
        view.process(&model.resync());
        assert!(view.screen().alternate_screen());
        assert!(view.screen().application_cursor());
        assert_eq!(view.screen().contents(), "top");
        assert!(view.screen().cell(0, 0).is_some_and(vt100::Cell::inverse));
        assert!(String::from_utf8_lossy(&model.resync()).contains("\x1b]2;vim\x07"));
    }
}
