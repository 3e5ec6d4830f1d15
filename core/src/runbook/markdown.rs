//! A small block tree over pulldown-cmark's event stream.
//!
//! The inference rules need structure that a flat event stream hides: which list item
//! a code block sits in, the bold lead of a paragraph, the nested answers under a
//! question. This module builds that tree once, with a 1-based line for every node.

use std::ops::Range;

use pulldown_cmark::{CodeBlockKind, Event, Options, Parser, Tag, TagEnd};

#[derive(Debug, Clone, PartialEq)]
pub enum NodeKind {
    Document,
    Heading(u8),
    Paragraph,
    BlockQuote,
    /// `Some(start)` for an ordered list.
    List(Option<u64>),
    Item,
    Code {
        info: String,
        fenced: bool,
    },
    Table,
    TableRow,
    TableCell,
    Html,
    Rule,
}

/// Inline content of a paragraph, heading or table cell.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Inline {
    /// Plain text, with code spans kept in backticks.
    pub text: String,
    pub code_spans: Vec<String>,
    pub links: Vec<String>,
    /// Text of a `**strong**` span that opens the content, if it does.
    pub leading_strong: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Node {
    pub kind: NodeKind,
    pub line: usize,
    pub end_line: usize,
    /// Byte range in the source.
    pub range: Range<usize>,
    pub inline: Inline,
    /// Code block content, or raw HTML.
    pub literal: String,
    /// For list items: the task-list marker, if any.
    pub task: Option<bool>,
    pub children: Vec<Node>,
}

impl Node {
    fn new(kind: NodeKind, range: Range<usize>, lines: &LineIndex) -> Node {
        Node {
            kind,
            line: lines.line_of(range.start),
            end_line: lines.line_of(range.end.saturating_sub(1).max(range.start)),
            range,
            inline: Inline::default(),
            literal: String::new(),
            task: None,
            children: Vec::new(),
        }
    }

    /// Depth-first walk over this node and its descendants.
    pub fn walk<'a>(&'a self, visit: &mut dyn FnMut(&'a Node)) {
        visit(self);
        for child in &self.children {
            child.walk(visit);
        }
    }

    /// The item's own text: its paragraphs, excluding nested lists and code.
    pub fn own_text(&self) -> String {
        // Tight list items hold their text directly; loose ones wrap it in paragraphs.
        let mut parts = vec![self.inline.text.trim().to_string()];
        for child in &self.children {
            if child.kind == NodeKind::Paragraph {
                parts.push(child.inline.text.trim().to_string());
            }
        }
        parts.retain(|p| !p.is_empty());
        parts.join("\n")
    }

    /// The inline content that opens an item: its own text when the list is tight,
    /// else its first paragraph.
    pub fn lead(&self) -> &Inline {
        if !self.inline.text.trim().is_empty() {
            return &self.inline;
        }
        self.children
            .iter()
            .find(|c| c.kind == NodeKind::Paragraph)
            .map_or(&self.inline, |p| &p.inline)
    }

    /// Nested lists directly inside an item.
    pub fn sublists(&self) -> impl Iterator<Item = &Node> {
        self.children
            .iter()
            .filter(|c| matches!(c.kind, NodeKind::List(_)))
    }
}

/// Maps byte offsets to 1-based line numbers.
pub struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    pub fn new(text: &str) -> LineIndex {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { starts }
    }

    pub fn line_of(&self, offset: usize) -> usize {
        match self.starts.binary_search(&offset) {
            Ok(i) => i + 1,
            Err(i) => i,
        }
    }
}

/// The Markdown extensions a runbook is read with (the benchmarks time pulldown-cmark
/// alone with the same ones, as the baseline of the parser's cost).
pub fn options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_FOOTNOTES
}

/// Parses `text` into a block tree rooted at a `Document` node.
pub fn parse_tree(text: &str, lines: &LineIndex) -> Node {
    let mut stack = vec![Node::new(NodeKind::Document, 0..text.len(), lines)];
    // Depth of `**strong**` spans currently open, and the text they hold.
    let mut strong: Vec<String> = Vec::new();
    for (event, range) in Parser::new_ext(text, options()).into_offset_iter() {
        match event {
            Event::Start(tag) => open(tag, range, lines, &mut stack, &mut strong),
            Event::End(end) => close(end, &mut stack, &mut strong),
            Event::Text(t) => push_text(&mut stack, &mut strong, &t, None),
            Event::Code(t) => push_text(&mut stack, &mut strong, &t, Some(())),
            Event::SoftBreak | Event::HardBreak => push_text(&mut stack, &mut strong, " ", None),
            Event::Html(h) | Event::InlineHtml(h) => {
                if let Some(top) = stack.last_mut() {
                    top.literal.push_str(&h);
                }
            }
            Event::TaskListMarker(checked) => {
                if let Some(item) = stack.iter_mut().rev().find(|n| n.kind == NodeKind::Item) {
                    item.task = Some(checked);
                }
            }
            Event::Rule => {
                let node = Node::new(NodeKind::Rule, range, lines);
                attach(&mut stack, node);
            }
            _ => {}
        }
    }
    // Unbalanced input cannot happen with pulldown-cmark, but never lose nodes if it does.
    while stack.len() > 1 {
        if let Some(node) = stack.pop() {
            attach(&mut stack, node);
        }
    }
    stack
        .pop()
        .unwrap_or_else(|| Node::new(NodeKind::Document, 0..0, lines))
}

fn open(
    tag: Tag<'_>,
    range: Range<usize>,
    lines: &LineIndex,
    stack: &mut Vec<Node>,
    strong: &mut Vec<String>,
) {
    let kind = match tag {
        Tag::Heading { level, .. } => NodeKind::Heading(level as u8),
        Tag::Paragraph => NodeKind::Paragraph,
        Tag::BlockQuote(_) => NodeKind::BlockQuote,
        Tag::List(start) => NodeKind::List(start),
        Tag::Item => NodeKind::Item,
        Tag::CodeBlock(CodeBlockKind::Fenced(info)) => NodeKind::Code {
            info: info.to_string(),
            fenced: true,
        },
        Tag::CodeBlock(CodeBlockKind::Indented) => NodeKind::Code {
            info: String::new(),
            fenced: false,
        },
        Tag::Table(_) => NodeKind::Table,
        Tag::TableHead | Tag::TableRow => NodeKind::TableRow,
        Tag::TableCell => NodeKind::TableCell,
        Tag::HtmlBlock => NodeKind::Html,
        Tag::Strong => {
            strong.push(String::new());
            return;
        }
        Tag::Link { dest_url, .. } => {
            if let Some(top) = stack.last_mut() {
                top.inline.links.push(dest_url.to_string());
            }
            return;
        }
        _ => return,
    };
    stack.push(Node::new(kind, range, lines));
}

fn close(end: TagEnd, stack: &mut Vec<Node>, strong: &mut Vec<String>) {
    match end {
        TagEnd::Strong => {
            let Some(text) = strong.pop() else { return };
            if let Some(top) = stack.last_mut() {
                let before = top.inline.text.trim_end_matches(&text[..]).trim();
                if top.inline.leading_strong.is_none() && before.is_empty() {
                    top.inline.leading_strong = Some(text.trim().to_string());
                }
            }
        }
        TagEnd::Emphasis
        | TagEnd::Strikethrough
        | TagEnd::Link
        | TagEnd::Image
        | TagEnd::Superscript
        | TagEnd::Subscript
        | TagEnd::FootnoteDefinition
        | TagEnd::MetadataBlock(_)
        | TagEnd::DefinitionList
        | TagEnd::DefinitionListTitle
        | TagEnd::DefinitionListDefinition => {}
        _ => {
            if stack.len() > 1 {
                if let Some(node) = stack.pop() {
                    attach(stack, node);
                }
            }
        }
    }
}

fn attach(stack: &mut [Node], node: Node) {
    if let Some(parent) = stack.last_mut() {
        parent.children.push(node);
    }
}

fn push_text(stack: &mut [Node], strong: &mut [String], text: &str, code: Option<()>) {
    let Some(top) = stack.last_mut() else { return };
    if matches!(top.kind, NodeKind::Code { .. }) {
        top.literal.push_str(text);
        return;
    }
    let shown = if code.is_some() {
        top.inline.code_spans.push(text.to_string());
        format!("`{text}`")
    } else {
        text.to_string()
    };
    top.inline.text.push_str(&shown);
    for open in strong.iter_mut() {
        open.push_str(&shown);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(text: &str) -> Node {
        parse_tree(text, &LineIndex::new(text))
    }

    #[test]
    fn lines_are_one_based() {
        let idx = LineIndex::new("a\nb\nc");
        assert_eq!(idx.line_of(0), 1);
        assert_eq!(idx.line_of(2), 2);
        assert_eq!(idx.line_of(4), 3);
    }

    #[test]
    fn leading_strong_is_captured() {
        let doc = tree("**Expected Result**: all good `x`\n");
        let p = &doc.children[0];
        assert_eq!(p.inline.leading_strong.as_deref(), Some("Expected Result"));
        assert_eq!(p.inline.text, "Expected Result: all good `x`");
        assert_eq!(p.inline.code_spans, vec!["x"]);
    }

    #[test]
    fn code_in_list_item_is_nested() {
        let doc = tree("1. **Run it**\n   ```bash\n   ls\n   ```\n");
        let item = &doc.children[0].children[0];
        assert_eq!(item.kind, NodeKind::Item);
        let code = item
            .children
            .iter()
            .find(|c| matches!(c.kind, NodeKind::Code { .. }))
            .expect("code block inside the item");
        assert_eq!(code.literal, "ls\n");
        assert_eq!(code.line, 2);
    }
}
