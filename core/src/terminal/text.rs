//! Plain text of terminal output, for expectations and each step's output.
//!
//! [`TextStripper`] drops escape sequences (CSI, OSC, DCS and friends) and control
//! characters other than `\n` and `\t`, and decodes UTF-8 across chunk boundaries.
//! A carriage return or a backspace moves back over the current line, and what
//! follows overwrites it character by character, as on a screen: a progress bar
//! leaves its last state, and a line put together by an overwrite
//! (`printf 'xx-abc\rsk'` shows `sk-abc`) reads as the screen shows it, so a secret
//! assembled that way is whole in the text and redaction can match it. Erase in line
//! (`ESC [ K`, `1K`, `2K`) clears as on a screen; other cursor moves are ignored.
//! A carriage return that a shell mark follows (zsh's partial-line mark) takes the
//! line back entirely ([`TextStripper::rewind_pending`]).
//! [`TextWindow`] keeps the last part of that text with absolute positions, so a
//! step's output and an expectation can be looked up by where they started.

use crate::runbook::OutputPattern;

use super::error::{Result, TerminalError};

const ESC: u8 = 0x1b;
const BACKSPACE: u8 = 0x08;

/// Parameter bytes of a CSI sequence kept to tell which erase it is; longer ones
/// are no erase in line.
const CSI_PARAMS_KEPT: usize = 4;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Ground,
    Esc,
    Csi,
    Osc,
    OscEsc,
    /// DCS, SOS, PM, APC: a string ended by ST.
    Str,
    StrEsc,
}

/// Turns terminal output bytes into plain text.
#[derive(Debug)]
pub struct TextStripper {
    state: State,
    /// Bytes of a UTF-8 character cut by the end of a chunk.
    plain: Vec<u8>,
    /// The cursor's column (in characters) in the current line, when it was moved
    /// back from the line's end: what is written next overwrites from there.
    col: Option<usize>,
    /// The last thing was a `\r`: a shell mark now takes the line back.
    cr: bool,
    /// The parameter bytes of the CSI sequence being read.
    csi: Vec<u8>,
}

impl Default for TextStripper {
    fn default() -> Self {
        Self::new()
    }
}

impl TextStripper {
    pub fn new() -> Self {
        Self {
            state: State::Ground,
            plain: Vec::new(),
            col: None,
            cr: false,
            csi: Vec::new(),
        }
    }

    /// Appends the text of `bytes` to `out`.
    pub fn feed(&mut self, bytes: &[u8], out: &mut TextWindow) {
        let mut i = 0;
        while i < bytes.len() {
            if self.state != State::Ground {
                self.state = self.in_sequence(bytes[i], out);
                i += 1;
                continue;
            }
            // Fast path: the run of printable bytes at once.
            let run = bytes[i..]
                .iter()
                .position(|&b| b < 0x20 || b == 0x7f)
                .unwrap_or(bytes.len() - i);
            if run > 0 {
                self.plain.extend_from_slice(&bytes[i..i + run]);
                self.write_plain(out);
                i += run;
            }
            if let Some(&b) = bytes.get(i) {
                self.state = self.control(b, out);
                i += 1;
            }
        }
    }

    /// The decoded text of `plain` at the cursor: appended at the line's end (the
    /// common case, decoded straight into the window), or written over what the
    /// line shows from the cursor on.
    fn write_plain(&mut self, out: &mut TextWindow) {
        match self.col {
            None => {
                let before = out.text.len();
                decode_utf8(&mut self.plain, &mut out.text);
                if out.text.len() != before {
                    self.cr = false;
                }
            }
            Some(col) => {
                let mut text = String::new();
                decode_utf8(&mut self.plain, &mut text);
                if !text.is_empty() {
                    self.cr = false;
                    self.col = out.overwrite(col, &text);
                }
            }
        }
    }

    fn in_sequence(&mut self, b: u8, out: &mut TextWindow) -> State {
        match self.state {
            State::Ground => State::Ground,
            State::Esc => {
                let next = escape(b);
                if next == State::Csi {
                    self.csi.clear();
                }
                next
            }
            State::Csi if (0x40..=0x7e).contains(&b) => {
                if b == b'K' {
                    self.erase_in_line(out);
                }
                State::Ground
            }
            State::Csi => {
                if self.csi.len() <= CSI_PARAMS_KEPT {
                    self.csi.push(b);
                }
                State::Csi
            }
            State::Osc | State::OscEsc => string_byte(b, State::Osc, State::OscEsc, self.state),
            State::Str | State::StrEsc => string_byte(b, State::Str, State::StrEsc, self.state),
        }
    }

    /// `ESC [ K` (to the line's end), `ESC [ 1 K` (from its start to the cursor) or
    /// `ESC [ 2 K` (all of it). A cleared line keeps no blanks in the text: what is
    /// written next starts it anew.
    fn erase_in_line(&mut self, out: &mut TextWindow) {
        let col = self.col;
        match self.csi.as_slice() {
            b"" | b"0" => {
                if let Some(col) = col {
                    out.truncate_line(col);
                }
                self.col = None;
            }
            b"1" => out.blank_line_to(col),
            b"2" => {
                out.truncate_line(0);
                self.col = None;
            }
            _ => {}
        }
    }

    /// A control byte in the ground state.
    fn control(&mut self, b: u8, out: &mut TextWindow) -> State {
        match b {
            ESC => return State::Esc,
            b'\r' => {
                self.col = (!out.line().is_empty()).then_some(0);
                self.cr = true;
            }
            BACKSPACE => {
                // At the line's start the cursor stays where it is.
                let at = self.col.unwrap_or_else(|| out.line().chars().count());
                if at > 0 {
                    self.col = Some(at - 1);
                }
            }
            b'\n' => {
                self.col = None;
                self.cr = false;
                out.text.push('\n');
            }
            b'\t' => {
                self.plain.push(b);
                self.write_plain(out);
            }
            _ => {}
        }
        State::Ground
    }

    /// A mark came right after a `\r`: the shell redraws that line; take it back.
    pub fn rewind_pending(&mut self, out: &mut TextWindow) {
        if std::mem::take(&mut self.cr) {
            out.truncate_line(0);
            self.col = None;
        }
    }
}

fn escape(b: u8) -> State {
    match b {
        b'[' => State::Csi,
        b']' => State::Osc,
        b'P' | b'X' | b'^' | b'_' => State::Str,
        // Intermediate bytes (`ESC ( B`): the final byte follows.
        0x20..=0x2f | ESC => State::Esc,
        _ => State::Ground,
    }
}

/// One byte of an OSC or other string sequence, ended by BEL (OSC only) or ST.
fn string_byte(b: u8, body: State, body_esc: State, current: State) -> State {
    match (b, current == body_esc) {
        (b'\\', true) => State::Ground,
        (0x07, _) if body == State::Osc => State::Ground,
        (ESC, _) => body_esc,
        _ => body,
    }
}

/// Moves the complete UTF-8 text of `bytes` into `out`, keeping an incomplete tail.
fn decode_utf8(bytes: &mut Vec<u8>, out: &mut String) {
    let mut start = 0;
    while start < bytes.len() {
        match std::str::from_utf8(&bytes[start..]) {
            Ok(s) => {
                out.push_str(s);
                start = bytes.len();
            }
            Err(e) => {
                let valid = start + e.valid_up_to();
                if let Ok(s) = std::str::from_utf8(&bytes[start..valid]) {
                    out.push_str(s);
                }
                match e.error_len() {
                    Some(bad) => {
                        out.push(char::REPLACEMENT_CHARACTER);
                        start = valid + bad;
                    }
                    None => {
                        start = valid;
                        break;
                    }
                }
            }
        }
    }
    bytes.drain(..start);
}

/// The last `cap`..`2 * cap` bytes of a terminal's text, with absolute positions.
#[derive(Debug)]
pub struct TextWindow {
    text: String,
    dropped: usize,
    cap: usize,
    /// How many times text already in the window changed (a line overwritten or
    /// cut): positions were then reused.
    rewinds: u64,
}

impl TextWindow {
    pub fn new(cap: usize) -> Self {
        Self {
            text: String::new(),
            dropped: 0,
            cap,
            rewinds: 0,
        }
    }

    /// The mutable tail, to append to; call [`TextWindow::trim`] afterwards.
    pub fn text_mut(&mut self) -> &mut String {
        &mut self.text
    }

    /// The current (unfinished) line: the text since the last `\n`.
    fn line(&self) -> &str {
        &self.text[self.line_start()..]
    }

    fn line_start(&self) -> usize {
        self.text.rfind('\n').map_or(0, |at| at + 1)
    }

    /// The byte offset in `text` of the current line's `col`th character (its end
    /// if it is shorter).
    fn line_offset(&self, col: usize) -> usize {
        let start = self.line_start();
        self.text[start..]
            .char_indices()
            .nth(col)
            .map_or(self.text.len(), |(i, _)| start + i)
    }

    /// Writes `text` over the current line from character `col` on, past its end
    /// if longer. Returns the cursor's column after it, `None` at the line's end.
    fn overwrite(&mut self, col: usize, text: &str) -> Option<usize> {
        let from = self.line_offset(col);
        let n = text.chars().count();
        let to = self.text[from..]
            .char_indices()
            .nth(n)
            .map_or(self.text.len(), |(i, _)| from + i);
        let at_end = to == self.text.len();
        if from < to {
            self.rewinds += 1;
        }
        self.text.replace_range(from..to, text);
        (!at_end).then_some(col + n)
    }

    /// Cuts the current line at character `col`.
    fn truncate_line(&mut self, col: usize) {
        let at = self.line_offset(col);
        if at < self.text.len() {
            self.text.truncate(at);
            self.rewinds += 1;
        }
    }

    /// Blanks the current line up to and including the cursor's character (all of
    /// it when the cursor is at its end).
    fn blank_line_to(&mut self, col: Option<usize>) {
        let start = self.line_start();
        let end = col.map_or(self.text.len(), |c| self.line_offset(c + 1));
        if start < end {
            let blanks = " ".repeat(self.text[start..end].chars().count());
            self.text.replace_range(start..end, &blanks);
            self.rewinds += 1;
        }
    }

    /// Forgets the oldest text once the window holds more than twice its capacity.
    pub fn trim(&mut self) {
        if self.text.len() > 2 * self.cap {
            let cut = floor_char_boundary(&self.text, self.text.len() - self.cap);
            self.text.drain(..cut);
            self.dropped += cut;
        }
    }

    /// Absolute position of the end of the text.
    pub fn end(&self) -> usize {
        self.dropped + self.text.len()
    }

    /// The text from absolute position `from` (or from the oldest text kept), and
    /// whether some of it was already forgotten.
    pub fn since(&self, from: usize) -> (&str, bool) {
        let truncated = from < self.dropped;
        let at = floor_char_boundary(&self.text, from.saturating_sub(self.dropped));
        (&self.text[at..], truncated)
    }
}

fn floor_char_boundary(s: &str, mut at: usize) -> usize {
    if at >= s.len() {
        return s.len();
    }
    while !s.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// An `expect` pattern, compiled.
#[derive(Debug, Clone)]
pub enum Matcher {
    Text(String),
    Regex(regex::Regex),
}

/// How far back a new search starts before the text already searched, so that a
/// regex match spanning two batches is still found.
const REGEX_OVERLAP: usize = 4096;

impl Matcher {
    pub fn new(pattern: &OutputPattern) -> Result<Self> {
        match pattern {
            OutputPattern::Text(t) => Ok(Self::Text(t.clone())),
            OutputPattern::Regex(r) => {
                regex::Regex::new(r)
                    .map(Self::Regex)
                    .map_err(|e| TerminalError::InvalidPattern {
                        pattern: r.clone(),
                        reason: e.to_string(),
                    })
            }
        }
    }

    pub fn is_match(&self, haystack: &str) -> bool {
        match self {
            Self::Text(t) => haystack.contains(t.as_str()),
            Self::Regex(r) => r.is_match(haystack),
        }
    }

    /// Bytes before the end of the previous search that a new search must cover again.
    pub fn overlap(&self) -> usize {
        match self {
            Self::Text(t) => t.len(),
            Self::Regex(_) => REGEX_OVERLAP,
        }
    }
}

/// Looks for a pattern in a [`TextWindow`] incrementally, from a given position.
#[derive(Debug)]
pub struct Watch {
    matcher: Matcher,
    from: usize,
    searched_to: usize,
    rewinds: u64,
}

impl Watch {
    pub fn new(matcher: Matcher, from: usize) -> Self {
        Self {
            matcher,
            from,
            searched_to: from,
            rewinds: 0,
        }
    }

    /// Searches the text that arrived since the last call (all of it again after a
    /// line was rewound, as positions were then reused).
    pub fn check(&mut self, window: &TextWindow) -> bool {
        if window.rewinds != self.rewinds {
            self.rewinds = window.rewinds;
            self.searched_to = self.from;
        }
        let start = self
            .searched_to
            .saturating_sub(self.matcher.overlap())
            .max(self.from);
        self.searched_to = window.end();
        self.matcher.is_match(window.since(start).0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strip(chunks: &[&[u8]]) -> String {
        let mut s = TextStripper::new();
        let mut out = TextWindow::new(1 << 20);
        for c in chunks {
            s.feed(c, &mut out);
        }
        out.text
    }

    #[test]
    fn carriage_return_and_backspace_overwrite_as_on_a_screen() {
        // The line as the screen ends up showing it: a secret put together by an
        // overwrite is whole in the text.
        assert_eq!(strip(&[b"xxxx-secret\rsk\n"]), "skxx-secret\n");
        assert_eq!(
            strip(&[b"hunter\x1b[1m2\x1b[0mX\x08-value\n"]),
            "hunter2-value\n"
        );
        assert_eq!(strip(&[b"Downloading\rDone\n"]), "Doneloading\n");
        assert_eq!(strip(&[b"Downloading\r\x1b[KDone\n"]), "Done\n");
        assert_eq!(strip(&[b"Downloading\x1b[2K\rDone\n"]), "Done\n");
        assert_eq!(strip(&[b"abcdef\x08\x08\x1b[1K!\n"]), "    !f\n");
        assert_eq!(
            strip(&[b"ab\x08\x08\x08c\n"]),
            "cb\n",
            "backspace stops at the line's start"
        );
        assert_eq!(strip(&[b"\x08\rok\n"]), "ok\n");
        assert_eq!(
            strip(&[b"caf\xc3", b"\xa9\r\xc3\xa9\n"]),
            "\u{e9}af\u{e9}\n"
        );
    }

    #[test]
    fn a_watch_sees_an_overwritten_line_again() {
        let mut s = TextStripper::new();
        let mut w = TextWindow::new(1024);
        let mut watch = Watch::new(Matcher::Text("sk-abc".into()), 0);
        s.feed(b"xx-abc", &mut w);
        assert!(!watch.check(&w));
        s.feed(b"\rsk", &mut w);
        assert!(watch.check(&w), "{:?}", w.since(0));
    }

    #[test]
    fn carriage_return_rewinds_the_line() {
        assert_eq!(
            strip(&[b"ok\r\n10%\r50%\r", b"100%\r\ndone"]),
            "ok\n100%\ndone"
        );
        let mut s = TextStripper::new();
        let mut out = TextWindow::new(1024);
        s.feed(b"42\n\x1b[1m#\x1b[0m      \r \r", &mut out);
        s.rewind_pending(&mut out);
        assert_eq!(out.since(0).0, "42\n");
    }

    #[test]
    fn escapes_and_controls_are_dropped() {
        let bytes = b"\x1b[1;31mred\x1b[0m\r\n\x1b]0;title\x07\x1b]133;D;0\x1b\\\x1b(Bok\tdone\x1bP1$r\x1b\\";
        assert_eq!(strip(&[bytes]), "red\nok\tdone");
    }

    #[test]
    fn utf8_split_across_chunks_is_kept() {
        let bytes = "héllo ✓".as_bytes();
        for split in 0..bytes.len() {
            let (a, b) = bytes.split_at(split);
            assert_eq!(strip(&[a, b]), "héllo ✓");
        }
        assert_eq!(strip(&[b"a\xffb"]), "a\u{fffd}b");
    }

    #[test]
    fn window_keeps_positions_when_trimmed() {
        let mut w = TextWindow::new(4);
        w.text_mut().push_str("0123456789");
        w.trim();
        assert_eq!(w.end(), 10);
        assert_eq!(w.since(8), ("89", false));
        assert_eq!(w.since(0), ("6789", true));
    }

    #[test]
    fn watch_finds_text_spanning_two_appends() {
        let mut w = TextWindow::new(1024);
        let mut watch = Watch::new(Matcher::Text("READY".into()), 0);
        w.text_mut().push_str("starting... RE");
        assert!(!watch.check(&w));
        w.text_mut().push_str("ADY now");
        assert!(watch.check(&w));
        let mut re = Watch::new(
            Matcher::new(&OutputPattern::Regex("port \\d+".into())).unwrap(),
            w.end(),
        );
        assert!(
            !re.check(&w),
            "text before the watch started is not searched"
        );
        w.text_mut().push_str("listening on port 8080");
        assert!(re.check(&w));
    }
}
