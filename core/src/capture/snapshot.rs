//! A terminal's screen as cells: each visible cell's text and attributes, and the
//! cursor; read from a live [`Screen`] or from a cast replayed into a fresh one.
//!
//! Redaction ([`Cells::redact`]) masks each character of a secret as `*` in its own
//! cell, so the grid keeps its layout; a secret wrapped over two rows is matched
//! whole (rows that wrap are joined before matching).

use std::path::{Path, PathBuf};

use crate::record::cast::{Cast, EventCode};
use crate::record::redact::Redactor;
use crate::terminal::screen::{Screen, ScreenSnapshot, TermSize};

/// A colour as the terminal holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Color {
    /// The theme's foreground or background.
    #[default]
    Default,
    /// One of the 256 indexed colours (0-15 the ANSI ones, then the cube, then greys).
    Idx(u8),
    Rgb(u8, u8, u8),
}

impl From<vt100::Color> for Color {
    fn from(c: vt100::Color) -> Self {
        match c {
            vt100::Color::Default => Self::Default,
            vt100::Color::Idx(i) => Self::Idx(i),
            vt100::Color::Rgb(r, g, b) => Self::Rgb(r, g, b),
        }
    }
}

/// One cell of the grid.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Cell {
    /// What the cell shows ("" when blank; a base character and its combining marks).
    pub text: String,
    pub fg: Color,
    pub bg: Color,
    pub bold: bool,
    pub dim: bool,
    pub italic: bool,
    pub underline: bool,
    pub inverse: bool,
    /// The first cell of a character two cells wide.
    pub wide: bool,
    /// The second cell of a wide character (it shows nothing of its own).
    pub continuation: bool,
}

impl Cell {
    /// Blank: nothing to draw but its background (and an underline).
    pub fn is_blank(&self) -> bool {
        self.text.trim().is_empty()
    }
}

/// Where the cursor is (0-based) and whether it shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub row: u16,
    pub col: u16,
    pub visible: bool,
}

/// The visible screen, cell by cell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cells {
    pub size: TermSize,
    /// `size.rows` rows of `size.cols` cells.
    pub rows: Vec<Vec<Cell>>,
    pub cursor: Cursor,
    /// For each row, whether it wraps onto the next one.
    pub wrapped: Vec<bool>,
}

impl Cells {
    /// The cells of a vt100 screen.
    pub fn from_vt(screen: &vt100::Screen) -> Self {
        let (rows, cols) = screen.size();
        let (rows, cols) = (rows.get(), cols.get());
        let mut grid = Vec::with_capacity(usize::from(rows));
        let mut wrapped = Vec::with_capacity(usize::from(rows));
        for r in 0..rows {
            let mut row = Vec::with_capacity(usize::from(cols));
            for c in 0..cols {
                let cell = screen.cell(r, c).map_or_else(Cell::default, |v| Cell {
                    text: v.contents().to_string(),
                    fg: v.fgcolor().into(),
                    bg: v.bgcolor().into(),
                    bold: v.bold(),
                    dim: v.dim(),
                    italic: v.italic(),
                    underline: v.underline(),
                    inverse: v.inverse(),
                    wide: v.is_wide(),
                    continuation: v.is_wide_continuation(),
                });
                row.push(cell);
            }
            grid.push(row);
            wrapped.push(screen.row_wrapped(r));
        }
        let (row, col) = screen.cursor_position();
        Self {
            size: TermSize { rows, cols },
            rows: grid,
            cursor: Cursor {
                row,
                col,
                visible: !screen.hide_cursor(),
            },
            wrapped,
        }
    }

    /// The cells of a [`ScreenSnapshot`](crate::terminal::ScreenSnapshot)'s redraw:
    /// the live screen of a session, rebuilt exactly in a fresh screen model.
    pub fn from_redraw(size: TermSize, redraw: &[u8]) -> Self {
        let mut screen = Screen::new(size, 0);
        screen.feed(redraw);
        screen.cells()
    }

    /// The cells of a live screen (a session's [`ScreenSnapshot`]) with `redactor`'s
    /// matches masked: what a rehearsal's per-step snapshot draws.
    pub fn of_screen(screen: &ScreenSnapshot, redactor: &Redactor) -> Self {
        let mut cells = Self::from_redraw(screen.size, &screen.redraw);
        cells.redact(redactor);
        cells
    }

    pub fn cell(&self, row: u16, col: u16) -> Option<&Cell> {
        self.rows.get(usize::from(row))?.get(usize::from(col))
    }

    /// A row's text: each cell's text, a blank cell as a space (a wide character's
    /// continuation cell adds nothing).
    pub fn row_text(&self, row: u16) -> String {
        let Some(cells) = self.rows.get(usize::from(row)) else {
            return String::new();
        };
        cells
            .iter()
            .filter(|c| !c.continuation)
            .map(|c| {
                if c.text.is_empty() {
                    " "
                } else {
                    c.text.as_str()
                }
            })
            .collect()
    }

    /// Masks every character of every match of `redactor` as `*`, each in its cell.
    /// Rows that wrap are matched together with the next. A masked wide character
    /// becomes two `*` cells.
    pub fn redact(&mut self, redactor: &Redactor) {
        if redactor.is_empty() {
            return;
        }
        let mut start = 0;
        while start < self.rows.len() {
            let mut end = start;
            while end + 1 < self.rows.len() && self.wrapped.get(end).copied().unwrap_or(false) {
                end += 1;
            }
            self.redact_rows(start, end, redactor);
            start = end + 1;
        }
    }

    /// Redacts the logical line made of rows `first..=last`.
    fn redact_rows(&mut self, first: usize, last: usize, redactor: &Redactor) {
        let mut text = String::new();
        // For each character of `text`, the cell it belongs to.
        let mut owner: Vec<(usize, usize)> = Vec::new();
        for r in first..=last {
            for (c, cell) in self.rows[r].iter().enumerate() {
                if cell.continuation {
                    continue;
                }
                let shown = if cell.text.is_empty() {
                    " "
                } else {
                    cell.text.as_str()
                };
                for ch in shown.chars() {
                    text.push(ch);
                    owner.push((r, c));
                }
            }
        }
        let masked = redactor.redact(&text);
        let std::borrow::Cow::Owned(masked) = masked else {
            return;
        };
        for (i, (orig, new)) in text.chars().zip(masked.chars()).enumerate() {
            if orig == new || new != '*' {
                continue;
            }
            let (r, c) = owner[i];
            let row = &mut self.rows[r];
            if row[c].wide {
                row[c].wide = false;
                if let Some(next) = row.get_mut(c + 1) {
                    next.continuation = false;
                    next.text = "*".into();
                }
            }
            row[c].text = "*".into();
        }
    }
}

/// Where a replay stops.
#[derive(Debug, Clone, PartialEq)]
pub enum Until {
    /// Every event.
    End,
    /// Events at or before this time (seconds since the recording started).
    Time(f64),
    /// Events up to the last marker with this label (`end <step-id>`), or every
    /// event if there is none.
    Marker(String),
}

/// A fresh screen fed with `cast`'s output and resizes up to `until`.
pub fn replay(cast: &Cast, until: &Until) -> Screen {
    let size = TermSize {
        rows: cast.header.height,
        cols: cast.header.width,
    };
    let stop = match until {
        Until::End => cast.events.len(),
        Until::Time(t) => cast.events.partition_point(|e| e.time <= *t),
        Until::Marker(label) => cast
            .events
            .iter()
            .rposition(|e| e.code == EventCode::Marker && e.data == *label)
            .map_or(cast.events.len(), |i| i + 1),
    };
    let mut screen = Screen::new(size, 0);
    for event in &cast.events[..stop] {
        match event.code {
            EventCode::Output => screen.feed(event.data.as_bytes()),
            EventCode::Resize => {
                if let Some(size) = parse_resize(&event.data) {
                    screen.resize(size);
                }
            }
            _ => {}
        }
    }
    screen
}

/// `COLSxROWS`.
fn parse_resize(data: &str) -> Option<TermSize> {
    let (cols, rows) = data.trim().split_once('x')?;
    Some(TermSize {
        cols: cols.trim().parse().ok().filter(|n| *n > 0)?,
        rows: rows.trim().parse().ok().filter(|n| *n > 0)?,
    })
}

/// What a snapshot file holds, by its extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Svg,
    Png,
}

impl Format {
    /// `.svg` or `.png` (any case); `None` for anything else.
    pub fn of_path(path: &Path) -> Option<Self> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "svg" => Some(Self::Svg),
            "png" => Some(Self::Png),
            _ => None,
        }
    }
}

/// Why a snapshot file cannot be written.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("{0}: a snapshot is written as .svg or .png")]
    Format(PathBuf),
    #[error(transparent)]
    Png(#[from] super::png::PngError),
    #[error("cannot write {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// The bytes of `cells` drawn in a window titled `title`, as `format`.
pub fn encode(
    cells: &Cells,
    title: &str,
    format: Format,
    scale: f32,
) -> Result<Vec<u8>, WriteError> {
    let svg = super::svg::render(cells, title);
    Ok(match format {
        Format::Svg => svg.into_bytes(),
        Format::Png => super::png::render(&svg, scale)?,
    })
}

/// Writes `cells` to `path`, as SVG or PNG by its extension.
pub fn write(cells: &Cells, title: &str, path: &Path, scale: f32) -> Result<(), WriteError> {
    let format = Format::of_path(path).ok_or_else(|| WriteError::Format(path.to_path_buf()))?;
    let bytes = encode(cells, title, format, scale)?;
    std::fs::write(path, bytes).map_err(|source| WriteError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// A name safe in a file name: ASCII letters and digits, `-`, `_` and `.` kept
/// (not leading), anything else as `_`.
pub fn slug(name: &str) -> String {
    let s: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let s = s.trim_start_matches('.').to_string();
    if s.is_empty() {
        "terminal".into()
    } else {
        s
    }
}

/// `<step>--<terminal>.png`: a step's snapshot of one terminal.
pub fn step_file_name(step_id: &str, terminal: &str, ext: &str) -> String {
    format!("{}--{}.{ext}", slug(step_id), slug(terminal))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::cast::{Event, Header};

    fn cells(bytes: &[u8], size: TermSize) -> Cells {
        let mut s = Screen::new(size, 0);
        s.feed(bytes);
        s.cells()
    }

    #[test]
    fn reads_attributes_and_wide_cells() {
        let c = cells(
            "\x1b[1;31mA\x1b[0m\x1b[48;2;1;2;3mB\x1b[0m漢x\x1b[?25l".as_bytes(),
            TermSize { rows: 2, cols: 10 },
        );
        let a = c.cell(0, 0).unwrap();
        assert_eq!((a.text.as_str(), a.fg, a.bold), ("A", Color::Idx(1), true));
        assert_eq!(c.cell(0, 1).unwrap().bg, Color::Rgb(1, 2, 3));
        assert!(c.cell(0, 2).unwrap().wide);
        assert!(c.cell(0, 3).unwrap().continuation);
        assert_eq!(c.cell(0, 4).unwrap().text, "x");
        assert_eq!(c.cursor.col, 5);
        assert!(!c.cursor.visible);
        assert_eq!(c.row_text(0).trim_end(), "AB漢x");
    }

    #[test]
    fn redaction_keeps_cells_aligned_and_spans_wrapped_rows() {
        let mut c = cells(b"key sk-123456 ok", TermSize { rows: 3, cols: 10 });
        c.redact(&Redactor::new(&["sk-[0-9]+".to_string()]));
        assert_eq!(c.row_text(0), "key ******");
        assert_eq!(c.row_text(1).trim_end(), "*** ok");
    }

    #[test]
    fn replays_up_to_a_time_or_a_marker_with_resizes() {
        let cast = Cast {
            version: 2,
            header: Header::v2(10, 3),
            events: vec![
                Event::output(0.1, "one"),
                Event {
                    time: 0.2,
                    code: EventCode::Resize,
                    data: "20x4".into(),
                },
                Event::marker(0.3, "end a"),
                Event::output(0.5, " two"),
            ],
            skipped: vec![],
            truncated: false,
        };
        let at = |u: Until| replay(&cast, &u).snapshot().text;
        assert_eq!(at(Until::Time(0.15)), "one");
        assert_eq!(at(Until::Marker("end a".into())), "one");
        assert_eq!(at(Until::End), "one two");
        assert_eq!(
            replay(&cast, &Until::End).size(),
            TermSize { rows: 4, cols: 20 }
        );
    }
}
