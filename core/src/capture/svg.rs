//! A screen's cells as an SVG picture of a terminal window: a rounded dark frame,
//! a title bar (three dots and the terminal's name), the terminal's background,
//! each run of cells sharing a background as one rect, each run of text sharing a
//! style as one `<text>` on the cell grid, and the cursor as a block.
//!
//! Colours are the UI's xterm.js theme (ui/src/shared/terminal-view.ts: its
//! background, foreground and cursor, and xterm.js's default ANSI palette, 256-colour
//! cube and greys); bold text in one of the 8 first ANSI colours shows in its bright
//! twin, as xterm.js draws it by default. Text is laid out for the bundled font
//! (DejaVu Sans Mono, whose advance is the cell width); a wide character gets an
//! element of its own, so one the font lacks (drawn as a box) still sits on its two
//! cells without pushing the rest of the row.

use std::fmt::Write as _;

use super::snapshot::{Cell, Cells, Color};

pub const FONT_FAMILY: &str = "DejaVu Sans Mono";
pub const FONT_SIZE: f32 = 14.0;
/// DejaVu Sans Mono advances 1233 font units (of 2048 per em) per character.
pub const CELL_WIDTH: f32 = FONT_SIZE * 1233.0 / 2048.0;
pub const CELL_HEIGHT: f32 = 17.0;
/// From a row's top to the text's baseline.
pub const BASELINE: f32 = 13.0;
/// Around the grid, inside the frame.
pub const PADDING: f32 = 12.0;
pub const TITLE_BAR: f32 = 30.0;
const CORNER: f32 = 10.0;

pub type Rgb = (u8, u8, u8);

/// The UI terminal's theme.
pub const THEME_BACKGROUND: Rgb = (0x0b, 0x0f, 0x18);
pub const THEME_FOREGROUND: Rgb = (0xe8, 0xed, 0xf7);
pub const THEME_CURSOR: Rgb = (0xff, 0xb5, 0x47);
const TITLE_BAR_FILL: Rgb = (0x1a, 0x1f, 0x2b);
const FRAME_STROKE: Rgb = (0x2b, 0x32, 0x44);
const TITLE_TEXT: Rgb = (0xa8, 0xb0, 0xc0);
const DOTS: [Rgb; 3] = [(0xff, 0x5f, 0x57), (0xfe, 0xbc, 0x2e), (0x28, 0xc8, 0x40)];

/// xterm.js's default ANSI colours (the Tango palette).
const ANSI: [Rgb; 16] = [
    (0x2e, 0x34, 0x36),
    (0xcc, 0x00, 0x00),
    (0x4e, 0x9a, 0x06),
    (0xc4, 0xa0, 0x00),
    (0x34, 0x65, 0xa4),
    (0x75, 0x50, 0x7b),
    (0x06, 0x98, 0x9a),
    (0xd3, 0xd7, 0xcf),
    (0x55, 0x57, 0x53),
    (0xef, 0x29, 0x29),
    (0x8a, 0xe2, 0x34),
    (0xfc, 0xe9, 0x4f),
    (0x72, 0x9f, 0xcf),
    (0xad, 0x7f, 0xa8),
    (0x34, 0xe2, 0xe2),
    (0xee, 0xee, 0xec),
];

/// An indexed colour as xterm.js shows it: the ANSI 16, the 6x6x6 cube, 24 greys.
pub fn indexed(i: u8) -> Rgb {
    match i {
        0..=15 => ANSI[usize::from(i)],
        16..=231 => {
            const LEVELS: [u8; 6] = [0x00, 0x5f, 0x87, 0xaf, 0xd7, 0xff];
            let n = usize::from(i - 16);
            (LEVELS[n / 36], LEVELS[(n / 6) % 6], LEVELS[n % 6])
        }
        232..=255 => {
            let c = 8 + (i - 232) * 10;
            (c, c, c)
        }
    }
}

/// `#rrggbb`.
pub fn hex((r, g, b): Rgb) -> String {
    format!("#{r:02x}{g:02x}{b:02x}")
}

/// A cell's foreground and background as drawn (`None`: the terminal's own).
pub fn resolve(cell: &Cell) -> (Rgb, Option<Rgb>) {
    let mut fg = match cell.fg {
        Color::Default => THEME_FOREGROUND,
        Color::Idx(i) if cell.bold && i < 8 => indexed(i + 8),
        Color::Idx(i) => indexed(i),
        Color::Rgb(r, g, b) => (r, g, b),
    };
    let mut bg = match cell.bg {
        Color::Default => None,
        Color::Idx(i) => Some(indexed(i)),
        Color::Rgb(r, g, b) => Some((r, g, b)),
    };
    if cell.inverse {
        let was = fg;
        fg = bg.unwrap_or(THEME_BACKGROUND);
        bg = Some(was);
    }
    (fg, bg)
}

/// Where things go in the picture, in SVG user units (pixels at scale 1).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Layout {
    pub cols: u16,
    pub rows: u16,
    /// The grid's top left corner.
    pub origin_x: f32,
    pub origin_y: f32,
    pub width: u32,
    pub height: u32,
}

impl Layout {
    pub fn new(cols: u16, rows: u16) -> Self {
        let grid_w = f32::from(cols) * CELL_WIDTH;
        let grid_h = f32::from(rows) * CELL_HEIGHT;
        Self {
            cols,
            rows,
            origin_x: PADDING,
            origin_y: TITLE_BAR + PADDING,
            width: (grid_w + 2.0 * PADDING).ceil() as u32,
            height: (TITLE_BAR + grid_h + 2.0 * PADDING).ceil() as u32,
        }
    }

    /// The left edge of column `col`.
    pub fn x(&self, col: u16) -> f32 {
        self.origin_x + f32::from(col) * CELL_WIDTH
    }

    /// The top of row `row`.
    pub fn top(&self, row: u16) -> f32 {
        self.origin_y + f32::from(row) * CELL_HEIGHT
    }

    /// The baseline of row `row`'s text.
    pub fn baseline(&self, row: u16) -> f32 {
        self.top(row) + BASELINE
    }
}

/// A number as SVG takes it: at most two decimals, no trailing zeros.
pub fn num(v: f32) -> String {
    let s = format!("{:.2}", v);
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".into()
    } else {
        s.to_string()
    }
}

/// `text` escaped for XML text and attribute values; characters XML cannot hold
/// (C0 controls, lone surrogates cannot occur in a `str`, U+FFFE/U+FFFF) become
/// spaces.
pub fn escape(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' => out.push(' '),
            c if (c as u32) < 0x20 || c == '\u{7f}' || c == '\u{fffe}' || c == '\u{ffff}' => {
                out.push(' ');
            }
            c => out.push(c),
        }
    }
}

/// What makes two cells' text one run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Style {
    fg: Rgb,
    bold: bool,
    italic: bool,
    underline: bool,
    dim: bool,
}

impl Style {
    fn of(cell: &Cell, fg: Rgb) -> Self {
        Self {
            fg,
            bold: cell.bold,
            italic: cell.italic,
            underline: cell.underline,
            dim: cell.dim,
        }
    }
}

struct Run {
    col: u16,
    style: Style,
    text: String,
}

/// The SVG of `cells` in a window titled `title`.
pub fn render(cells: &Cells, title: &str) -> String {
    let layout = Layout::new(cells.size.cols, cells.size.rows);
    let (w, h) = (layout.width as f32, layout.height as f32);
    let mut out = String::with_capacity(64 * 1024);
    let _ = write!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="{FONT_FAMILY}" font-size="{fs}">"#,
        w = layout.width,
        h = layout.height,
        fs = num(FONT_SIZE),
    );
    out.push('\n');
    // The frame: the terminal's background with rounded corners, and the title bar.
    let _ = writeln!(
        out,
        r#"<rect class="frame" x="0.5" y="0.5" width="{}" height="{}" rx="{c}" fill="{}" stroke="{}"/>"#,
        num(w - 1.0),
        num(h - 1.0),
        hex(THEME_BACKGROUND),
        hex(FRAME_STROKE),
        c = num(CORNER),
    );
    let _ = writeln!(
        out,
        r#"<path class="title-bar" d="M1,{t} V{c} A{r},{r} 0 0 1 {c},1 H{right} A{r},{r} 0 0 1 {x2},{c} V{t} Z" fill="{}"/>"#,
        hex(TITLE_BAR_FILL),
        t = num(TITLE_BAR),
        c = num(CORNER + 1.0),
        r = num(CORNER),
        right = num(w - CORNER - 1.0),
        x2 = num(w - 1.0),
    );
    for (i, dot) in DOTS.iter().enumerate() {
        let _ = writeln!(
            out,
            r#"<circle class="dot" cx="{}" cy="{}" r="6" fill="{}"/>"#,
            num(PADDING + 6.0 + 20.0 * i as f32),
            num(TITLE_BAR / 2.0),
            hex(*dot),
        );
    }
    let mut name = String::new();
    escape(title, &mut name);
    let _ = writeln!(
        out,
        r#"<text class="title" x="{}" y="{}" text-anchor="middle" font-size="13" fill="{}">{name}</text>"#,
        num(w / 2.0),
        num(TITLE_BAR / 2.0 + 4.5),
        hex(TITLE_TEXT),
    );

    // Backgrounds, merged along each row.
    out.push_str(r#"<g class="backgrounds" shape-rendering="crispEdges">"#);
    out.push('\n');
    for (r, row) in cells.rows.iter().enumerate() {
        let r = r as u16;
        let mut run: Option<(u16, u16, Rgb)> = None;
        let flush = |run: Option<(u16, u16, Rgb)>, out: &mut String| {
            if let Some((from, to, bg)) = run {
                let _ = writeln!(
                    out,
                    r#"<rect x="{}" y="{}" width="{}" height="{}" fill="{}"/>"#,
                    num(layout.x(from)),
                    num(layout.top(r)),
                    num(f32::from(to - from) * CELL_WIDTH),
                    num(CELL_HEIGHT),
                    hex(bg),
                );
            }
        };
        for (c, cell) in row.iter().enumerate() {
            let c = c as u16;
            let bg = resolve(cell).1;
            match (run, bg) {
                (Some((from, to, run_bg)), Some(bg)) if to == c && run_bg == bg => {
                    run = Some((from, c + 1, bg));
                }
                (_, bg) => {
                    flush(run.take(), &mut out);
                    run = bg.map(|bg| (c, c + 1, bg));
                }
            }
        }
        flush(run, &mut out);
    }
    out.push_str("</g>\n");

    // The cursor, a block under its character.
    let cursor = cells.cursor;
    let cursor_cell = cells.cell(cursor.row, cursor.col);
    if cursor.visible && cursor_cell.is_some() {
        let span = if cursor_cell.is_some_and(|c| c.wide) {
            2.0
        } else {
            1.0
        };
        let _ = writeln!(
            out,
            r#"<rect class="cursor" x="{}" y="{}" width="{}" height="{}" fill="{}"/>"#,
            num(layout.x(cursor.col)),
            num(layout.top(cursor.row)),
            num(span * CELL_WIDTH),
            num(CELL_HEIGHT),
            hex(THEME_CURSOR),
        );
    }

    // Text, in runs of one style.
    out.push_str(r#"<g class="text">"#);
    out.push('\n');
    for (r, row) in cells.rows.iter().enumerate() {
        let r = r as u16;
        let mut run: Option<Run> = None;
        for (c, cell) in row.iter().enumerate() {
            let c = c as u16;
            if cell.continuation {
                continue;
            }
            let under_cursor = cursor.visible && cursor.row == r && cursor.col == c;
            let blank = cell.is_blank() && !cell.underline;
            if cell.wide || under_cursor {
                flush_text(&mut out, &layout, r, run.take());
                if !blank {
                    let fg = if under_cursor {
                        THEME_BACKGROUND
                    } else {
                        resolve(cell).0
                    };
                    flush_text(
                        &mut out,
                        &layout,
                        r,
                        Some(Run {
                            col: c,
                            style: Style::of(cell, fg),
                            text: cell.text.clone(),
                        }),
                    );
                }
                continue;
            }
            if blank {
                // A gap inside a run; an underline stops before it.
                match run.as_mut() {
                    Some(open) if !open.style.underline => open.text.push(' '),
                    _ => flush_text(&mut out, &layout, r, run.take()),
                }
                continue;
            }
            let style = Style::of(cell, resolve(cell).0);
            let text = if cell.text.is_empty() {
                " "
            } else {
                cell.text.as_str()
            };
            match run.as_mut() {
                Some(open) if open.style == style => open.text.push_str(text),
                _ => {
                    flush_text(&mut out, &layout, r, run.take());
                    run = Some(Run {
                        col: c,
                        style,
                        text: text.to_string(),
                    });
                }
            }
        }
        flush_text(&mut out, &layout, r, run);
    }
    out.push_str("</g>\n</svg>\n");
    out
}

fn flush_text(out: &mut String, layout: &Layout, row: u16, run: Option<Run>) {
    let Some(run) = run else { return };
    let text = if run.style.underline {
        run.text.as_str()
    } else {
        run.text.trim_end_matches(' ')
    };
    if text.is_empty() {
        return;
    }
    let s = run.style;
    let _ = write!(
        out,
        r#"<text xml:space="preserve" x="{}" y="{}" fill="{}""#,
        num(layout.x(run.col)),
        num(layout.baseline(row)),
        hex(s.fg),
    );
    if s.bold {
        out.push_str(r#" font-weight="bold""#);
    }
    if s.italic {
        out.push_str(r#" font-style="italic""#);
    }
    if s.underline {
        out.push_str(r#" text-decoration="underline""#);
    }
    if s.dim {
        out.push_str(r#" opacity="0.5""#);
    }
    out.push('>');
    escape(text, out);
    out.push_str("</text>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn palette_matches_xterm_js() {
        assert_eq!(hex(indexed(1)), "#cc0000");
        assert_eq!(hex(indexed(15)), "#eeeeec");
        assert_eq!(indexed(16), (0, 0, 0));
        assert_eq!(indexed(196), (0xff, 0, 0));
        assert_eq!(indexed(231), (0xff, 0xff, 0xff));
        assert_eq!(indexed(232), (8, 8, 8));
        assert_eq!(indexed(255), (238, 238, 238));
    }

    #[test]
    fn escapes_xml() {
        let mut s = String::new();
        escape("<a href=\"x\">&'\u{1}", &mut s);
        assert_eq!(s, "&lt;a href=&quot;x&quot;&gt;&amp;&apos; ");
    }

    #[test]
    fn numbers_are_short() {
        assert_eq!(num(12.0), "12");
        assert_eq!(num(8.428_711), "8.43");
        assert_eq!(num(0.5), "0.5");
    }
}
