//! Mutations of a Markdown document for the parser's property tests (included with
//! `mod`; not a test itself): fragments inserted and spans cut at random places,
//! character boundaries kept.

#![allow(dead_code)]

use proptest::sample::Index;

/// One edit: where, which fragment, how much to cut, and whether it inserts.
pub type Edit = (Index, usize, usize, bool);

/// `text` with `edits` applied in order: an insert puts `fragments[n]` at its place,
/// a cut removes up to its length from there.
pub fn mutate(text: &str, fragments: &[&str], edits: Vec<Edit>) -> String {
    let mut text = text.to_string();
    for (at, fragment, cut, insert) in edits {
        let mut pos = at.index(text.len() + 1);
        while !text.is_char_boundary(pos) {
            pos -= 1;
        }
        if insert {
            text.insert_str(pos, fragments[fragment]);
        } else {
            let mut end = (pos + cut).min(text.len());
            while !text.is_char_boundary(end) {
                end -= 1;
            }
            text.replace_range(pos..end, "");
        }
    }
    text
}
