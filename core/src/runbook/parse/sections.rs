//! Heading sections and which step owns each: a budgeted heading owns everything
//! beneath it; a label heading ("Talking Points") belongs to its parent's step.

use std::collections::HashMap;
use std::path::Path;

use crate::runbook::infer::{self, Label};
use crate::runbook::markdown::{Node, NodeKind};
use crate::runbook::model::*;

/// A heading and the top-level nodes up to the next heading.
pub(super) struct Section<'a> {
    pub(super) heading: Option<&'a Node>,
    pub(super) level: u8,
    pub(super) raw_title: String,
    pub(super) title: String,
    pub(super) budget: Option<u32>,
    pub(super) label: Option<Label>,
    pub(super) parent: Option<usize>,
    pub(super) nodes: Vec<&'a Node>,
    pub(super) line: usize,
    pub(super) end_line: usize,
    /// For a step made of a list item (a document without `##`): the item.
    pub(super) item: Option<&'a Node>,
}

pub(super) fn sections(tree: &Node, last_line: usize) -> Vec<Section<'_>> {
    let mut out: Vec<Section> = vec![Section {
        heading: None,
        level: 0,
        raw_title: String::new(),
        title: String::new(),
        budget: None,
        label: None,
        parent: None,
        nodes: Vec::new(),
        line: 1,
        end_line: last_line,
        item: None,
    }];
    let mut open: Vec<usize> = Vec::new(); // stack of ancestors by level
    for node in &tree.children {
        let NodeKind::Heading(level) = node.kind else {
            if let Some(current) = out.last_mut() {
                current.nodes.push(node);
            }
            continue;
        };
        if let Some(prev) = out.last_mut() {
            prev.end_line = node.line.saturating_sub(1).max(prev.line);
        }
        while open.last().is_some_and(|&i| out[i].level >= level) {
            open.pop();
        }
        let raw_title = node.inline.text.trim().to_string();
        let (title, budget) = match infer::heading_budget(&raw_title) {
            Some((clean, seconds)) => (clean, Some(seconds)),
            None => (raw_title.clone(), None),
        };
        let parent = open.last().copied();
        // Sub-sections of "Post-Demo Questions" are questions too.
        let inherited = parent
            .and_then(|p| out[p].label)
            .filter(|l| matches!(l, Label::Questions | Label::Notes(_)));
        out.push(Section {
            heading: Some(node),
            level,
            label: infer::label(&title).or(inherited),
            raw_title,
            title,
            budget,
            parent,
            nodes: Vec::new(),
            line: node.line,
            end_line: last_line,
            item: None,
        });
        open.push(out.len() - 1);
    }
    out
}

/// For each section, the section whose step holds its content (`None`: no step).
pub(super) fn owners(sections: &[Section]) -> Vec<Option<usize>> {
    let title_section = document_title_section(sections);
    let mut owner: Vec<Option<usize>> = vec![None; sections.len()];
    // What comes before the first heading is a step of its own (an introduction)
    // when it holds anything presentable: nothing in a document is left out.
    if let Some(first) = owner.first_mut() {
        *first = Some(0);
    }
    for i in 1..sections.len() {
        let s = &sections[i];
        let budgeted_ancestor = ancestors(sections, i).find(|&a| sections[a].budget.is_some());
        owner[i] = if let Some(a) = budgeted_ancestor {
            owner[a]
        } else if s.budget.is_some() {
            Some(i)
        } else if let (Some(_), Some(p)) = (s.label, s.parent) {
            if Some(p) == title_section {
                Some(i)
            } else {
                owner[p]
            }
        } else {
            Some(i)
        };
    }
    owner
}

pub(super) fn ancestors<'s>(sections: &'s [Section], i: usize) -> impl Iterator<Item = usize> + 's {
    std::iter::successors(sections[i].parent, move |&p| sections[p].parent)
}

/// The single level-1 heading that opens the document, if there is one.
pub(super) fn document_title_section(sections: &[Section]) -> Option<usize> {
    let h1: Vec<usize> = (1..sections.len())
        .filter(|&i| sections[i].level == 1 && sections[i].heading.is_some())
        .collect();
    (h1.len() == 1 && h1[0] == 1).then_some(1)
}

pub(super) fn title(fm: &FrontMatter, sections: &[Section], path: Option<&Path>) -> String {
    if let Some(t) = &fm.title {
        return t.clone();
    }
    if let Some(s) = sections
        .iter()
        .find(|s| s.level == 1 && s.heading.is_some())
    {
        return s.title.clone();
    }
    path.and_then(|p| p.file_stem())
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "Untitled runbook".to_string())
}

pub(super) fn outline(
    sections: &[Section],
    owners: &[Option<usize>],
    step_of_section: &HashMap<usize, usize>,
) -> Vec<Heading> {
    sections
        .iter()
        .enumerate()
        .skip(1)
        .filter(|(_, s)| s.heading.is_some())
        .map(|(i, s)| Heading {
            level: s.level,
            title: s.title.clone(),
            line: s.line,
            budget: s.budget.map(|seconds| Budget {
                seconds,
                source: BudgetSource::Heading,
                line: s.line,
            }),
            step: owners[i].and_then(|o| step_of_section.get(&o).copied()),
        })
        .collect()
}
