//! Terminal snapshots: a screen using every attribute drawn as SVG (read back with
//! an XML parser and checked cell by cell: text, colours, positions), its PNG
//! (size, and the pixels of known cells), redaction, and what they cost.

use std::time::Instant;

use cuedeck_core::capture::snapshot::{Cells, Color};
use cuedeck_core::capture::svg::{self, Layout, CELL_HEIGHT, CELL_WIDTH};
use cuedeck_core::capture::{png, snapshot};
use cuedeck_core::record::redact::Redactor;
use cuedeck_core::terminal::screen::{Screen, TermSize};
use resvg::tiny_skia::Pixmap;

fn cells_of(bytes: &[u8], cols: u16, rows: u16) -> Cells {
    let mut screen = Screen::new(TermSize { rows, cols }, 0);
    screen.feed(bytes);
    screen.cells()
}

/// Every attribute a snapshot draws, one feature per row; the cursor ends at (7, 2).
const EVERYTHING: &str = concat!(
    "\x1b[31mred\x1b[0m \x1b[38;5;208morange\x1b[0m \x1b[38;2;10;20;30mtc\x1b[0m \x1b[91mbright\x1b[0m\r\n",
    "\x1b[41m  \x1b[0m \x1b[48;5;21mB\x1b[0m \x1b[48;2;200;100;50mT\x1b[0m \x1b[48;5;240mgrey\x1b[0m\r\n",
    "\x1b[1mbold\x1b[0m \x1b[3mital\x1b[0m \x1b[4mund\x1b[0m \x1b[7minv\x1b[0m \x1b[1;32mbg\x1b[0m\r\n",
    "漢😀x\r\n",
    "┌─┐\r\n",
    "│<&>\"'│\r\n",
    "\x1b[31;42mab\x1b[7mcd\x1b[0m\r\n",
    "> ",
);

struct Text {
    x: f32,
    y: f32,
    text: String,
    fill: String,
    weight: Option<String>,
    style: Option<String>,
    decoration: Option<String>,
}

struct Rect {
    class: Option<String>,
    x: f32,
    y: f32,
    width: f32,
    height: f32,
    fill: String,
}

struct Parsed {
    width: f32,
    height: f32,
    title: String,
    texts: Vec<Text>,
    rects: Vec<Rect>,
    circles: usize,
}

fn f(node: roxmltree::Node, name: &str) -> f32 {
    node.attribute(name)
        .unwrap_or_else(|| panic!("no {name} on {node:?}"))
        .parse()
        .expect("number")
}

fn parse(svg: &str) -> Parsed {
    let doc = roxmltree::Document::parse(svg).expect("the SVG is well-formed XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "svg");
    let mut parsed = Parsed {
        width: f(root, "width"),
        height: f(root, "height"),
        title: String::new(),
        texts: Vec::new(),
        rects: Vec::new(),
        circles: 0,
    };
    for node in root.descendants() {
        match node.tag_name().name() {
            "text" if node.attribute("class") == Some("title") => {
                parsed.title = node.text().unwrap_or_default().to_string();
            }
            "text" => parsed.texts.push(Text {
                x: f(node, "x"),
                y: f(node, "y"),
                text: node.text().unwrap_or_default().to_string(),
                fill: node.attribute("fill").expect("fill").to_string(),
                weight: node.attribute("font-weight").map(String::from),
                style: node.attribute("font-style").map(String::from),
                decoration: node.attribute("text-decoration").map(String::from),
            }),
            "rect" => parsed.rects.push(Rect {
                class: node.attribute("class").map(String::from),
                x: f(node, "x"),
                y: f(node, "y"),
                width: f(node, "width"),
                height: f(node, "height"),
                fill: node.attribute("fill").expect("fill").to_string(),
            }),
            "circle" => parsed.circles += 1,
            _ => {}
        }
    }
    parsed
}

fn near(a: f32, b: f32) -> bool {
    (a - b).abs() < 0.02
}

impl Parsed {
    /// The text element drawing the cell at (row, col) and the cell's character,
    /// found by position: its y is the row's baseline, and the column lies within
    /// its characters (each one cell wide, but a wide one alone in its element).
    fn at(&self, layout: &Layout, row: u16, col: u16) -> (&Text, char) {
        for t in &self.texts {
            if !near(t.y, layout.baseline(row)) {
                continue;
            }
            let first = (t.x - layout.origin_x) / CELL_WIDTH;
            assert!(
                near(first, first.round()),
                "{} at x={} is off the grid",
                t.text,
                t.x
            );
            let first = first.round() as u16;
            let n = t.text.chars().count() as u16;
            if (first..first + n).contains(&col) {
                return (t, t.text.chars().nth(usize::from(col - first)).unwrap());
            }
        }
        panic!("no text at row {row}, column {col}");
    }

    fn char_at(&self, layout: &Layout, row: u16, col: u16) -> char {
        self.at(layout, row, col).1
    }

    fn background(&self, layout: &Layout, row: u16, col: u16) -> Option<&Rect> {
        let (x, y) = (layout.x(col) + CELL_WIDTH / 2.0, layout.top(row) + 1.0);
        self.rects.iter().find(|r| {
            r.class.is_none() && r.x <= x && x < r.x + r.width && r.y <= y && y < r.y + r.height
        })
    }
}

#[test]
fn the_svg_draws_every_attribute_on_the_cell_grid() {
    let cells = cells_of(EVERYTHING.as_bytes(), 40, 10);
    let svg = svg::render(&cells, "main <&> \"node\"");
    let p = parse(&svg);
    let l = Layout::new(40, 10);
    assert_eq!((p.width, p.height), (l.width as f32, l.height as f32));
    assert_eq!(
        p.title, "main <&> \"node\"",
        "the title is escaped and reads back"
    );
    assert_eq!(p.circles, 3, "three dots in the title bar");
    assert!(
        p.rects.iter().any(|r| r.class.as_deref() == Some("frame")),
        "the window frame"
    );

    // Row 0: 16-colour, 256-colour and truecolor foregrounds.
    let (t, c) = p.at(&l, 0, 0);
    assert_eq!(
        (c, t.text.as_str(), t.fill.as_str()),
        ('r', "red", "#cc0000")
    );
    assert!(near(t.x, l.x(0)));
    let (t, c) = p.at(&l, 0, 4);
    assert_eq!(
        (c, t.fill.as_str()),
        ('o', "#ff8700"),
        "208: the 6x6x6 cube"
    );
    assert!(near(t.x, l.x(4)), "x = column * cell width");
    assert_eq!(p.at(&l, 0, 11).0.fill, "#0a141e", "truecolor");
    assert_eq!(p.at(&l, 0, 14).0.fill, "#ef2929", "bright red (91)");

    // Row 1: backgrounds, a run of two cells merged into one rect.
    let red = p.background(&l, 1, 0).expect("red background");
    assert_eq!(red.fill, "#cc0000");
    assert!(near(red.x, l.x(0)) && near(red.width, 2.0 * CELL_WIDTH));
    assert!(near(red.y, l.top(1)) && near(red.height, CELL_HEIGHT));
    assert!(std::ptr::eq(red, p.background(&l, 1, 1).unwrap()));
    assert!(
        p.background(&l, 1, 2).is_none(),
        "a default background is not drawn"
    );
    assert_eq!(
        p.background(&l, 1, 3).unwrap().fill,
        "#0000ff",
        "21: the cube"
    );
    assert_eq!(p.background(&l, 1, 5).unwrap().fill, "#c86432", "truecolor");
    assert_eq!(
        p.background(&l, 1, 7).unwrap().fill,
        "#585858",
        "240: a grey"
    );
    assert_eq!(p.char_at(&l, 1, 3), 'B');

    // Row 2: bold, italic, underline, inverse.
    let bold = p.at(&l, 2, 0).0;
    assert_eq!(
        (bold.text.as_str(), bold.weight.as_deref()),
        ("bold", Some("bold"))
    );
    assert_eq!(bold.style, None);
    let ital = p.at(&l, 2, 5).0;
    assert_eq!(
        (ital.text.as_str(), ital.style.as_deref()),
        ("ital", Some("italic"))
    );
    let und = p.at(&l, 2, 10).0;
    assert_eq!(und.text, "und");
    assert_eq!(und.decoration.as_deref(), Some("underline"));
    let inv = p.at(&l, 2, 14).0;
    assert_eq!(inv.text, "inv");
    assert_eq!(
        inv.fill, "#0b0f18",
        "inverse: the theme's background as text"
    );
    assert_eq!(p.background(&l, 2, 14).unwrap().fill, "#e8edf7");
    assert_eq!(
        p.at(&l, 2, 18).0.fill,
        "#8ae234",
        "bold green shows bright, as xterm.js draws it"
    );

    // Row 3: a CJK character and an emoji, two cells each, each in its own element.
    assert!(cells.cell(3, 0).unwrap().wide && cells.cell(3, 1).unwrap().continuation);
    let (han, c) = p.at(&l, 3, 0);
    assert_eq!((c, han.text.as_str()), ('漢', "漢"));
    assert!(near(han.x, l.x(0)));
    let (emoji, c) = p.at(&l, 3, 2);
    assert_eq!((c, emoji.text.as_str()), ('😀', "😀"));
    assert!(near(emoji.x, l.x(2)));
    let x = p.at(&l, 3, 4).0;
    assert_eq!(x.text, "x");
    assert!(near(x.x, l.x(4)), "after two wide characters, column 4");

    // Rows 4 and 5: box drawing as text, and XML's special characters.
    assert_eq!(p.at(&l, 4, 0).0.text, "┌─┐");
    assert_eq!(p.at(&l, 5, 0).0.text, "│<&>\"'│");
    assert!(svg.contains("&lt;&amp;&gt;&quot;&apos;"));

    // Row 6: inverse of explicit colours swaps them.
    assert_eq!(p.at(&l, 6, 0).0.fill, "#cc0000");
    assert_eq!(p.background(&l, 6, 0).unwrap().fill, "#4e9a06");
    assert_eq!(p.at(&l, 6, 2).0.fill, "#4e9a06");
    assert_eq!(p.background(&l, 6, 2).unwrap().fill, "#cc0000");

    // The cursor, a block after the prompt.
    assert_eq!(
        (cells.cursor.row, cells.cursor.col, cells.cursor.visible),
        (7, 2, true)
    );
    let cursor = p
        .rects
        .iter()
        .find(|r| r.class.as_deref() == Some("cursor"))
        .expect("a cursor");
    assert_eq!(cursor.fill, "#ffb547");
    assert!(near(cursor.x, l.x(2)) && near(cursor.y, l.top(7)));
    assert!(near(cursor.width, CELL_WIDTH));
    assert_eq!(p.at(&l, 7, 0).0.text, ">");

    // Colours as read from the screen model.
    assert_eq!(cells.cell(0, 4).unwrap().fg, Color::Idx(208));
    assert_eq!(cells.cell(1, 5).unwrap().bg, Color::Rgb(200, 100, 50));
}

#[test]
fn a_hidden_cursor_is_not_drawn() {
    let cells = cells_of(b"top\x1b[?25l", 10, 2);
    assert!(!cells.cursor.visible);
    let p = parse(&svg::render(&cells, "main"));
    assert!(p.rects.iter().all(|r| r.class.as_deref() != Some("cursor")));
}

#[test]
fn redaction_masks_each_character_in_its_cell() {
    let mut cells = cells_of(
        b"\x1b[32mtoken\x1b[0m sk-\x1b[1mabcd1234\x1b[0m done",
        40,
        3,
    );
    cells.redact(&Redactor::new(&["sk-[a-z0-9]{8}".to_string()]));
    let svg = svg::render(&cells, "main");
    assert!(!svg.contains("abcd") && !svg.contains("sk-"), "{svg}");
    let p = parse(&svg);
    let l = Layout::new(40, 3);
    assert_eq!(p.char_at(&l, 0, 6), '*');
    assert_eq!(p.char_at(&l, 0, 16), '*');
    assert_eq!(p.at(&l, 0, 18).0.text, "done", "later cells stay in place");
    assert!(near(p.at(&l, 0, 18).0.x, l.x(18)));
}

fn pixel(pixmap: &Pixmap, x: f32, y: f32) -> (u8, u8, u8) {
    let p = pixmap
        .pixel(x as u32, y as u32)
        .expect("inside the picture");
    assert_eq!(p.alpha(), 255, "opaque at {x},{y}");
    (p.red(), p.green(), p.blue())
}

#[test]
fn the_png_has_the_layout_size_and_the_cells_colours() {
    // A red-background cell, a green full block (a glyph of the bundled font), a wide
    // character the font lacks.
    let cells = cells_of(
        "\x1b[41m   \x1b[0m \x1b[32m\u{2588}\x1b[0m 漢 end".as_bytes(),
        20,
        4,
    );
    let l = Layout::new(20, 4);
    for scale in [1.0_f32, 2.0] {
        let bytes = snapshot::encode(&cells, "main", snapshot::Format::Png, scale).expect("png");
        assert_eq!(&bytes[1..4], b"PNG");
        let pixmap = Pixmap::decode_png(&bytes).expect("decodes");
        assert_eq!(
            (pixmap.width(), pixmap.height()),
            (
                (l.width as f32 * scale) as u32,
                (l.height as f32 * scale) as u32
            )
        );
        let mid = |col: u16, row: u16| {
            (
                (l.x(col) + CELL_WIDTH / 2.0) * scale,
                (l.top(row) + CELL_HEIGHT / 2.0) * scale,
            )
        };
        let (x, y) = mid(1, 0);
        assert_eq!(pixel(&pixmap, x, y), (0xcc, 0, 0), "a red background cell");
        let (x, y) = mid(4, 0);
        assert_eq!(pixel(&pixmap, x, y), (0x4e, 0x9a, 0x06), "the font drew █");
        let (x, y) = mid(10, 2);
        assert_eq!(pixel(&pixmap, x, y), svg::THEME_BACKGROUND);
    }
}

#[test]
fn the_png_is_the_same_whatever_fonts_the_machine_has() {
    // Only the bundled faces are in the database.
    let db = png::fonts();
    let families: std::collections::BTreeSet<String> = db
        .faces()
        .flat_map(|f| f.families.iter().map(|(name, _)| name.clone()))
        .collect();
    assert_eq!(db.len(), 4);
    assert_eq!(
        families.into_iter().collect::<Vec<_>>(),
        vec!["DejaVu Sans Mono"]
    );
}

#[test]
fn a_full_screen_renders_fast() {
    let mut bytes = Vec::new();
    for row in 0..30 {
        bytes.extend_from_slice(format!("\x1b[3{}m", row % 8).as_bytes());
        for col in 0..119 {
            bytes.push(b'a' + ((row * 7 + col) % 26) as u8);
        }
        bytes.extend_from_slice(b"\x1b[0m");
        if row < 29 {
            bytes.extend_from_slice(b"\r\n");
        }
    }
    let cells = cells_of(&bytes, 120, 30);
    let started = Instant::now();
    let svg = svg::render(&cells, "main");
    let svg_ms = started.elapsed().as_secs_f64() * 1000.0;
    let started = Instant::now();
    let png1 = png::render(&svg, 1.0).expect("png");
    let png1_ms = started.elapsed().as_secs_f64() * 1000.0;
    let started = Instant::now();
    let png2 = png::render(&svg, 2.0).expect("png");
    let png2_ms = started.elapsed().as_secs_f64() * 1000.0;
    eprintln!(
        "120x30: SVG {svg_ms:.2} ms ({} bytes); PNG 1x {png1_ms:.1} ms ({} bytes), 2x {png2_ms:.1} ms ({} bytes)",
        svg.len(),
        png1.len(),
        png2.len()
    );
    assert!(png1_ms < 5000.0, "a snapshot takes {png1_ms} ms");
}
