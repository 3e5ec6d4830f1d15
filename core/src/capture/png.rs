//! PNG from a snapshot's SVG, rendered in pure Rust (resvg: usvg + tiny-skia) with
//! a font database holding only the bundled DejaVu Sans Mono, never the system's
//! fonts: the same pixels on every machine.

use std::borrow::Cow;
use std::collections::HashSet;
use std::sync::{Arc, OnceLock};

use resvg::tiny_skia;
use resvg::usvg::{self, fontdb};

use super::svg::FONT_FAMILY;

/// The bundled font (DejaVu Sans Mono; its license is assets/fonts/LICENSE-DejaVu.txt).
const FONTS: [&[u8]; 4] = [
    include_bytes!("../../assets/fonts/DejaVuSansMono.ttf"),
    include_bytes!("../../assets/fonts/DejaVuSansMono-Bold.ttf"),
    include_bytes!("../../assets/fonts/DejaVuSansMono-Oblique.ttf"),
    include_bytes!("../../assets/fonts/DejaVuSansMono-BoldOblique.ttf"),
];

/// Scales a snapshot can be rendered at.
pub const MIN_SCALE: f32 = 0.25;
pub const MAX_SCALE: f32 = 4.0;

/// Why a PNG cannot be rendered.
#[derive(Debug, thiserror::Error)]
pub enum PngError {
    #[error("the snapshot's SVG does not parse: {0}")]
    Svg(#[from] usvg::Error),
    #[error("scale {0} is out of range (0.25 to 4)")]
    Scale(f32),
    #[error("cannot make a {0}x{1} picture")]
    Size(u32, u32),
    #[error("cannot encode the PNG: {0}")]
    Encode(String),
}

/// The font database: the bundled faces only, every generic family mapped to them.
pub fn fonts() -> Arc<fontdb::Database> {
    static DB: OnceLock<Arc<fontdb::Database>> = OnceLock::new();
    Arc::clone(DB.get_or_init(|| {
        let mut db = fontdb::Database::new();
        for face in FONTS {
            db.load_font_data(face.to_vec());
        }
        db.set_monospace_family(FONT_FAMILY);
        db.set_sans_serif_family(FONT_FAMILY);
        db.set_serif_family(FONT_FAMILY);
        Arc::new(db)
    }))
}

/// The PNG of `svg` at `scale` (1: one pixel per SVG unit; 2 for high-DPI screens).
pub fn render(svg: &str, scale: f32) -> Result<Vec<u8>, PngError> {
    if !(MIN_SCALE..=MAX_SCALE).contains(&scale) {
        return Err(PngError::Scale(scale));
    }
    let options = usvg::Options {
        font_family: FONT_FAMILY.to_string(),
        fontdb: fonts(),
        ..usvg::Options::default()
    };
    let tree = usvg::Tree::from_str(&with_boxes(svg), &options)?;
    let size = tree.size();
    let (w, h) = (
        (size.width() * scale).ceil() as u32,
        (size.height() * scale).ceil() as u32,
    );
    let mut pixmap = tiny_skia::Pixmap::new(w, h).ok_or(PngError::Size(w, h))?;
    resvg::render(
        &tree,
        tiny_skia::Transform::from_scale(scale, scale),
        &mut pixmap.as_mut(),
    );
    pixmap
        .encode_png()
        .map_err(|e| PngError::Encode(e.to_string()))
}

/// The characters the bundled font draws.
fn covered() -> &'static HashSet<u32> {
    static SET: OnceLock<HashSet<u32>> = OnceLock::new();
    SET.get_or_init(|| {
        use skrifa::MetadataProvider;
        skrifa::FontRef::new(FONTS[0])
            .map(|font| font.charmap().mappings().map(|(c, _)| c).collect())
            .unwrap_or_default()
    })
}

/// What stands for a character the font lacks (usvg would look for another font,
/// find none, and warn about each).
const MISSING: char = '\u{25a1}';

/// `svg` with each character the bundled font lacks drawn as a box, or left out when
/// it takes no room (a combining mark): its text keeps its place on the grid.
fn with_boxes(svg: &str) -> Cow<'_, str> {
    let covered = covered();
    let has = |c: char| c.is_ascii() || covered.contains(&u32::from(c));
    if svg.chars().all(has) {
        return Cow::Borrowed(svg);
    }
    Cow::Owned(
        svg.chars()
            .filter_map(|c| match c {
                c if has(c) => Some(c),
                c if unicode_width::UnicodeWidthChar::width(c).unwrap_or(0) == 0 => None,
                _ => Some(MISSING),
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn characters_the_font_lacks_become_boxes() {
        assert!(covered().contains(&u32::from('\u{2500}')), "box drawing");
        assert!(covered().contains(&u32::from(MISSING)));
        assert_eq!(with_boxes("<text>a─b</text>"), "<text>a─b</text>");
        assert_eq!(with_boxes("漢😀e\u{1ab0}"), "\u{25a1}\u{25a1}e");
    }
}
