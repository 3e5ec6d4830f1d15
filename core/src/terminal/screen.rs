//! The screen model of a terminal (vt100): what the terminal shows now, for
//! snapshots, late-joining windows and prompt detection.

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
        }
    }

    pub fn feed(&mut self, bytes: &[u8]) {
        self.parser.process(bytes);
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
}
