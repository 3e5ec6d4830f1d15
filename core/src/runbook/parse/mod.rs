//! Markdown -> [`Runbook`]: sections, steps, blocks and presenter content.
//!
//! The document is cut into heading sections. A section becomes a step when it holds
//! runnable blocks or presenter content; a section whose heading is a label ("Talking
//! Points", "Steps", "What Are We Showing?") belongs to its parent's step, and a
//! heading with a time budget ("Demo 1 (1 minute)") owns everything beneath it.
//!
//! - [`sections`]: heading sections, and which step owns each.
//! - [`steps`]: presenter content gathered into steps (notes, Q&A, expectations, ...).
//! - [`content`]: reading one list item, table or label (Q&A card forms, targets).
//! - [`blocks`]: code blocks: run, input or shown; commands; ids and terminals.
//! - [`output`]: untagged blocks that read as shell; output pasted into shell blocks.
//! - [`lists`]: a document without `##`: the items of its numbered list or checklist.
//! - [`document`]: what belongs to the whole runbook (timeline, checklist, probes).

mod blocks;
/// Shared with `render` (the audience view drops what the parser takes for notes).
pub(in crate::runbook) mod content;
mod document;
mod lists;
mod output;
mod sections;
mod steps;
#[cfg(test)]
mod tests;
mod waits;

use std::path::Path;

use super::frontmatter;
use super::markdown::{parse_tree, LineIndex};
use super::model::Runbook;
use document::{
    checklist, code_blocks, link_checklist, match_timeline, propose_probes, proposed_terminals,
    terminals, timeline,
};
use lists::list_steps;
use sections::{outline, owners, sections, title};
use steps::Builder;

pub fn parse(source: &str, path: Option<&Path>) -> Runbook {
    // Line numbers count '\n'; a lone '\r' (old Mac) is a line break too.
    let text = if source.contains('\r') {
        source.replace("\r\n", "\n").replace('\r', "\n")
    } else {
        source.to_string()
    };
    let fm = frontmatter::split(&text);
    let lines = LineIndex::new(&fm.body);
    let tree = parse_tree(&fm.body, &lines);
    let mut builder = Builder {
        body: &fm.body,
        diagnostics: fm.diagnostics,
        ..Builder::default()
    };
    let sections = list_steps(sections(&tree, lines.line_of(fm.body.len())), &fm.body);
    let owners = owners(&sections);
    builder.build_steps(&sections, &owners);
    builder.assign_ids_and_terminals();

    let mut runbook = Runbook {
        path: path.map(|p| p.display().to_string()),
        title: title(&fm.front_matter, &sections, path),
        outline: outline(&sections, &owners, &builder.step_of_section),
        timeline: timeline(&tree),
        checklist: checklist(&tree),
        steps: builder.steps,
        front_matter: fm.front_matter,
        services: fm.services,
        metrics: fm.metrics,
        terminals: Vec::new(),
        diagnostics: builder.diagnostics,
        code_blocks_in_source: code_blocks(&tree),
        proposed_terminals: proposed_terminals(&tree),
    };
    link_checklist(&tree, &mut runbook);
    match_timeline(&mut runbook);
    propose_probes(&tree, &mut runbook);
    waits::resolve_waits(&mut runbook);
    runbook.terminals = terminals(&runbook.steps);
    runbook.diagnostics.sort_by_key(|d| d.line);
    runbook
}
