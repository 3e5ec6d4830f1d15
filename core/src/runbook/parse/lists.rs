//! Structure without `##`: many runbooks are a title and one numbered list (or a
//! checklist), each item a step with its commands indented beneath. A section with no
//! sub-headings (the whole document when it has no heading, or a level-1 section with
//! no `##` under it) is cut into one step per item of its top-level ordered lists and
//! checklists. Nodes between items (a fence the author did not indent) belong to the
//! item before them; nodes before the first item stay with the section.

use super::sections::Section;
use crate::runbook::infer;
use crate::runbook::markdown::{Node, NodeKind};

/// One list item that becomes a step, and the top-level nodes that follow it.
struct Group<'a> {
    item: &'a Node,
    trailing: Vec<&'a Node>,
}

/// The sections with every qualifying section followed by its items' sections.
pub(super) fn list_steps<'a>(sections: Vec<Section<'a>>, body: &str) -> Vec<Section<'a>> {
    let parents: Vec<bool> = {
        let mut has_children = vec![false; sections.len()];
        for s in &sections {
            if let Some(p) = s.parent {
                has_children[p] = true;
            }
        }
        has_children
    };
    let only_section = sections.len() == 1;
    let mut remap: Vec<usize> = Vec::with_capacity(sections.len());
    let mut out: Vec<Section> = Vec::with_capacity(sections.len());
    for (i, mut section) in sections.into_iter().enumerate() {
        section.parent = section.parent.and_then(|p| remap.get(p).copied());
        remap.push(out.len());
        let qualifies = section.label.is_none()
            && !parents[i]
            && ((i == 0 && only_section) || (section.level == 1 && section.heading.is_some()));
        let split = qualifies.then(|| split_nodes(&section.nodes)).flatten();
        let Some((head, groups)) = split else {
            out.push(section);
            continue;
        };
        let parent_index = out.len();
        let end_line = section.end_line;
        let first_item = groups.first().map_or(end_line, |g| g.item.line);
        section.nodes = head;
        section.end_line = first_item.saturating_sub(1).max(section.line);
        let level = section.level + 1;
        out.push(section);
        let starts: Vec<usize> = groups.iter().map(|g| g.item.line).collect();
        for (n, group) in groups.into_iter().enumerate() {
            let end = starts
                .get(n + 1)
                .map_or(end_line, |next| next.saturating_sub(1).max(group.item.line));
            let title = first_line(body, group.item);
            out.push(item_section(group, title, n + 1, level, parent_index, end));
        }
    }
    out
}

/// Whether a top-level list makes steps: numbered, or a checklist.
fn is_step_list(node: &Node) -> bool {
    match node.kind {
        NodeKind::List(Some(_)) => true,
        NodeKind::List(None) => node.children.iter().any(|i| i.task.is_some()),
        _ => false,
    }
}

/// The nodes before the first step item, and one group per item; `None` when no
/// item (nor what follows it) holds a code block: a list of prose stays prose.
fn split_nodes<'a>(nodes: &[&'a Node]) -> Option<(Vec<&'a Node>, Vec<Group<'a>>)> {
    let mut head = Vec::new();
    let mut groups: Vec<Group> = Vec::new();
    for &node in nodes {
        if is_step_list(node) {
            groups.extend(node.children.iter().map(|item| Group {
                item,
                trailing: Vec::new(),
            }));
        } else if let Some(last) = groups.last_mut() {
            last.trailing.push(node);
        } else {
            head.push(node);
        }
    }
    let has_code = groups.iter().any(|g| {
        std::iter::once(g.item)
            .chain(g.trailing.iter().copied())
            .any(holds_code)
    });
    has_code.then_some((head, groups))
}

fn holds_code(node: &Node) -> bool {
    let mut found = false;
    node.walk(&mut |n| found |= matches!(n.kind, NodeKind::Code { .. }));
    found
}

/// The item's first line is the step's title (and may carry a budget).
fn item_section<'a>(
    group: Group<'a>,
    first: String,
    n: usize,
    level: u8,
    parent: usize,
    end_line: usize,
) -> Section<'a> {
    let raw_title = if first.is_empty() {
        format!("Step {n}")
    } else {
        first
    };
    let (title, budget) = match infer::heading_budget(&raw_title) {
        Some((clean, seconds)) => (clean, Some(seconds)),
        None => (raw_title.clone(), None),
    };
    let title = title.trim_end_matches([':', ' ']).trim().to_string();
    Section {
        heading: None,
        level,
        label: infer::label(&title),
        raw_title,
        title,
        budget,
        parent: Some(parent),
        nodes: group.trailing,
        line: group.item.line,
        end_line,
        item: Some(group.item),
    }
}

/// The item's first source line without its list marker, task box and emphasis
/// marks (`1. **Deploy** the app` -> `Deploy the app`); empty when the item opens
/// with a code fence.
fn first_line(body: &str, item: &Node) -> String {
    let line = body
        .get(item.range.clone())
        .and_then(|s| s.lines().next())
        .unwrap_or("")
        .trim();
    let rest = line
        .trim_start_matches(|c: char| c.is_ascii_digit())
        .trim_start_matches(['.', ')', '-', '*', '+'])
        .trim_start();
    let rest = ["[ ]", "[x]", "[X]"]
        .iter()
        .find_map(|b| rest.strip_prefix(b))
        .unwrap_or(rest)
        .trim_start();
    if rest.starts_with("```") || rest.starts_with("~~~") {
        return String::new();
    }
    rest.replace("**", "").replace("__", "").trim().to_string()
}
