//! A step's Markdown to safe HTML for the UI.
//!
//! Safe by construction rather than by cleaning afterwards: raw HTML in the runbook
//! is rendered as visible text, link and image targets are limited to http(s),
//! mailto and in-page anchors, and pulldown-cmark escapes all other text and
//! attributes. A runbook is untrusted input; nothing in it may run script in the
//! window (the UI sanitizes again, and the CSP forbids inline script).
//! Code blocks become placeholders the UI fills from the model, with Run buttons.
//!
//! [`render_for_audience`] renders the same way for the audience window (the projector),
//! leaving out everything addressed to the presenter and masking `redact` matches.

use std::ops::Range;

use pulldown_cmark::{html, CowStr, Event, Parser, Tag, TagEnd, TextMergeStream};

use super::infer::{self, Label};
use super::markdown::{options, parse_tree, Inline, LineIndex, Node, NodeKind};
use super::model::Step;
use super::parse::content::{looks_like_pitch, strip_label};
use crate::record::redact::Redactor;

/// Renders `markdown`; the n-th code block becomes a placeholder for `block_ids[n]`.
pub fn step_html(markdown: &str, block_ids: &[String]) -> String {
    to_html(
        markdown.len(),
        SafeEvents::new(Parser::new_ext(markdown, options()), block_ids),
    )
}

/// [`step_html`] with every text, inline code run, link target and raw HTML run
/// masked by `redactor`: the step as a presenter window that masks shows it.
pub fn masked_step_html(markdown: &str, block_ids: &[String], redactor: &Redactor) -> String {
    // Text merged first, so a secret pulldown-cmark split in two is still matched whole.
    let events = TextMergeStream::new(Parser::new_ext(markdown, options()))
        .map(|e| redact_event(e, redactor));
    to_html(markdown.len(), SafeEvents::new(events, block_ids))
}

fn to_html<'a>(source_len: usize, events: impl Iterator<Item = Event<'a>>) -> String {
    let mut out = String::with_capacity(source_len * 3 / 2);
    html::push_html(&mut out, events);
    out
}

/// The rules every rendering shares: the n-th code block becomes a placeholder for
/// `block_ids[n]` (its content dropped), raw HTML becomes the text the author wrote,
/// and link and image targets are limited to [`safe_url`]s.
struct SafeEvents<'b, I> {
    events: I,
    block_ids: &'b [String],
    index: usize,
    in_code: bool,
}

impl<'b, I> SafeEvents<'b, I> {
    fn new(events: I, block_ids: &'b [String]) -> Self {
        Self {
            events,
            block_ids,
            index: 0,
            in_code: false,
        }
    }

    fn map<'a>(&mut self, event: Event<'a>) -> Option<Event<'a>> {
        match event {
            Event::Start(Tag::CodeBlock(_)) => {
                self.in_code = true;
                let id = self.block_ids.get(self.index).map_or("", String::as_str);
                self.index += 1;
                Some(Event::Html(format!("{}\n", placeholder(id)).into()))
            }
            Event::End(TagEnd::CodeBlock) => {
                self.in_code = false;
                None
            }
            _ if self.in_code => None,
            // Raw HTML is shown as the text the author wrote, never interpreted.
            Event::Html(raw) | Event::InlineHtml(raw) => Some(Event::Text(raw)),
            Event::Start(Tag::Link {
                link_type,
                dest_url,
                title,
                id,
            }) => Some(Event::Start(Tag::Link {
                link_type,
                dest_url: safe_url(dest_url),
                title,
                id,
            })),
            Event::Start(Tag::Image {
                link_type,
                dest_url,
                title,
                id,
            }) => Some(Event::Start(Tag::Image {
                link_type,
                dest_url: safe_url(dest_url),
                title,
                id,
            })),
            other => Some(other),
        }
    }
}

impl<'a, I: Iterator<Item = Event<'a>>> Iterator for SafeEvents<'_, I> {
    type Item = Event<'a>;

    fn next(&mut self) -> Option<Event<'a>> {
        loop {
            let event = self.events.next()?;
            if let Some(mapped) = self.map(event) {
                return Some(mapped);
            }
        }
    }
}

/// Renders `markdown` for the audience window: as [`step_html`] (same safety rules,
/// same placeholders), with every part addressed to the presenter left out, and every
/// text, inline code run, link target and raw HTML run masked by `redactor`.
///
/// Left out, read with the parser's own recognisers (`infer`) so the two agree:
/// - a heading that is a presenter label (talking points, call-outs, key points, tips,
///   notes, questions, "What are we showing?", "Expected Result"...), or inherits one
///   (under "Questions"), and everything under it up to the next heading of the same
///   or a higher level;
/// - a paragraph that is such a label, bold ("**Talking Points:**") or plain
///   ("Talking points:"), and what it governs: the paragraph, lists, blockquotes and
///   tables after it up to the next paragraph or heading (and code blocks, after an
///   "Expected Result" label); a paragraph or list item opening with such a label
///   ("**Key point:** ...", "Expected Result: ...");
/// - a paragraph or list item that is a presenter remark ("Call out that ..."), an
///   expectation ("You should see `X`") or a question ("Q: ... → A: ...", `**Q: ...**`
///   with its answers), and a `- [ ]` checklist item that is not the step itself. Of
///   such a list item only the code blocks nested in it stay;
/// - a quoted blockquote (the pitch), tables with a Target column or timeline rows,
///   and HTML comments;
/// - a heading left with nothing under it, and a list left with no items.
///
/// The n-th code block kept becomes the placeholder for its own `block_ids` entry.
///
/// `item_step`: the markdown is a list item that is a step, whose plain nested
/// bullets are the presenter's notes (as the parser reads them).
fn render_for_audience(
    markdown: &str,
    block_ids: &[String],
    redactor: &Redactor,
    item_step: bool,
) -> String {
    let tree = parse_tree(markdown, &LineIndex::new(markdown));
    let mut cut = Cut::default();
    if item_step {
        cut.item_step_notes(&tree);
    }
    cut.nodes(&tree.children, None);
    let mut kept = Vec::new();
    cut.kept_blocks(&tree, false, &mut 0, &mut kept);
    let ids: Vec<String> = kept
        .iter()
        .map(|&i| block_ids.get(i).cloned().unwrap_or_default())
        .collect();
    // A cut event goes, and with a Start, all up to its End.
    let mut depth = 0usize;
    let events = Parser::new_ext(markdown, options())
        .into_offset_iter()
        .filter_map(|(event, range)| {
            if depth > 0 {
                match event {
                    Event::Start(_) => depth += 1,
                    Event::End(_) => depth -= 1,
                    _ => {}
                }
                return None;
            }
            if cut.drops(&event, &range) {
                if let Event::Start(_) = event {
                    depth = 1;
                }
                return None;
            }
            match &event {
                Event::InlineHtml(raw) if raw.trim_start().starts_with("<!--") => None,
                // The audience has no pre-flight list to tick.
                Event::TaskListMarker(_) => None,
                _ => Some(event),
            }
        });
    // Text merged first, so a secret pulldown-cmark split in two is still matched whole.
    let events = TextMergeStream::new(events).map(|e| redact_event(e, redactor));
    to_html(markdown.len(), SafeEvents::new(events, &ids))
}

impl Step {
    /// This step as the audience window shows it: [`render_for_audience`] of its Markdown
    /// (nothing at all when the step's own section is presenter content, as
    /// "Presentation Tips"), and the indices into `blocks` of the blocks it holds a
    /// placeholder for. (Text never reads as a placeholder: it is escaped.)
    pub(crate) fn audience_content(&self, redactor: &Redactor) -> (String, Vec<usize>) {
        let label = self
            .breadcrumbs
            .iter()
            .chain(std::iter::once(&self.title))
            .fold(None, |parent, title| heading_label(title, parent));
        if is_presenter(label) {
            return (String::new(), Vec::new());
        }
        // Opaque block ids: a block's own id is a slug of its name or of the step's
        // title, which may hold what `redact` masks.
        let ids: Vec<String> = (0..self.blocks.len()).map(|i| format!("b{i}")).collect();
        let html = render_for_audience(&self.markdown, &ids, redactor, self.from_list_item);
        let kept = (0..ids.len())
            .filter(|&i| html.contains(&placeholder(&ids[i])))
            .collect();
        (html, kept)
    }
}

fn is_presenter(label: Option<Label>) -> bool {
    matches!(
        label,
        Some(
            Label::Notes(_)
                | Label::Questions
                | Label::Pitch
                | Label::Expected
                | Label::Spoken
                | Label::Timing
        )
    )
}

/// A heading's label as the parser reads it: its own (budget removed), else the one of
/// its parent section when that is questions or notes.
fn heading_label(title: &str, parent: Option<Label>) -> Option<Label> {
    let title = title.trim();
    let clean = infer::heading_budget(title).map_or_else(|| title.to_string(), |(c, _)| c);
    infer::label(&clean).or(parent.filter(|l| matches!(l, Label::Questions | Label::Notes(_))))
}

/// A label opening a paragraph or list item, and the text after it: bold, as the
/// parser reads it ("**Expected Result**: x"), or plain ("Talking points:") when it
/// is a presenter label.
fn opening_label(inline: &Inline) -> Option<(Label, String)> {
    if let Some(lead) = &inline.leading_strong {
        if let Some(label) = infer::label(lead) {
            return Some((label, strip_label(&inline.text, lead)));
        }
    }
    let (head, rest) = inline.text.trim().split_once(':')?;
    let label = infer::label(head).filter(|&l| is_presenter(Some(l)))?;
    Some((label, rest.trim().to_string()))
}

/// Free text the parser takes for a note, an expectation or a question.
fn presenter_text(text: &str, code_spans: &[String]) -> bool {
    let t = text.trim();
    !t.is_empty()
        && (infer::is_question_prefixed(t)
            || infer::should_see(t, code_spans).is_some()
            || infer::presenter_remark(t).is_some())
}

fn cells(row: &Node) -> impl Iterator<Item = String> + '_ {
    row.children
        .iter()
        .map(|c| c.inline.text.trim().to_lowercase())
}

/// Metric targets (a Target or Goal column) or a "0:00-1:00 | ..." timeline.
fn presenter_table(table: &Node) -> bool {
    let targets = table
        .children
        .first()
        .is_some_and(|head| cells(head).any(|h| h.contains("target") || h == "goal"));
    targets
        || table.children.iter().skip(1).any(|row| {
            row.children
                .first()
                .is_some_and(|c| infer::time_range(&c.inline.text).is_some())
        })
}

/// What the audience's rendering leaves out of the source.
#[derive(Default)]
struct Cut {
    /// Block nodes, by their source range (that of their Start event) and kind.
    blocks: Vec<(Range<usize>, NodeKind)>,
    /// Inline text spans: a tight list item's own text.
    texts: Vec<Range<usize>>,
    /// The list items that are the step itself (an item step's own item): a checklist
    /// item that became a step is the step's content, not the pre-flight list.
    step_items: Vec<Range<usize>>,
}

impl Cut {
    /// The bullets nested in a step's own list item that hold no code: its notes.
    fn item_step_notes(&mut self, tree: &Node) {
        let items = tree
            .children
            .iter()
            .filter(|n| matches!(n.kind, NodeKind::List(_)))
            .flat_map(|list| &list.children);
        for item in items {
            self.step_items.push(item.range.clone());
            for bullet in item
                .sublists()
                .filter(|l| l.kind == NodeKind::List(None))
                .flat_map(|l| &l.children)
            {
                let mut code = false;
                bullet.walk(&mut |n| code |= matches!(n.kind, NodeKind::Code { .. }));
                if !code {
                    self.cut(bullet);
                }
            }
        }
    }

    fn cut(&mut self, node: &Node) {
        self.blocks.push((node.range.clone(), node.kind.clone()));
    }

    fn is_cut(&self, node: &Node) -> bool {
        self.in_text(node.range.start)
            || self
                .blocks
                .iter()
                .any(|(r, k)| *r == node.range && *k == node.kind)
    }

    fn in_text(&self, offset: usize) -> bool {
        self.texts.iter().any(|s| s.contains(&offset))
    }

    /// Whether `event` at `range` is the start of a cut node or sits in a cut text.
    /// (A list and its first item start at the same offset, hence the kind.)
    fn drops(&self, event: &Event<'_>, range: &Range<usize>) -> bool {
        if self.in_text(range.start) {
            return true;
        }
        let Event::Start(tag) = event else {
            return false;
        };
        self.blocks
            .iter()
            .any(|(r, kind)| r == range && starts(kind, tag))
    }

    /// The indices, in document order, of the code blocks under `node` left in.
    fn kept_blocks(&self, node: &Node, above: bool, n: &mut usize, out: &mut Vec<usize>) {
        let cut = above || self.is_cut(node);
        if matches!(node.kind, NodeKind::Code { .. }) {
            if !cut {
                out.push(*n);
            }
            *n += 1;
        }
        for child in &node.children {
            self.kept_blocks(child, cut, n, out);
        }
    }

    /// Sibling nodes of one container under `context`, its headings opening sections
    /// as in the parser. Returns whether any is kept.
    fn nodes(&mut self, nodes: &[Node], context: Option<Label>) -> bool {
        // The headings enclosing the current node: (level, label, hidden).
        let mut open: Vec<(u8, Option<Label>, bool)> = Vec::new();
        // A label paragraph's label, for what follows it up to the next paragraph.
        let mut bold: Option<Label> = None;
        let mut kept = vec![false; nodes.len()];
        for (i, node) in nodes.iter().enumerate() {
            if let NodeKind::Heading(level) = node.kind {
                while open.last().is_some_and(|h| h.0 >= level) {
                    open.pop();
                }
                let (parent, parent_hidden) = open.last().map_or((context, false), |h| (h.1, h.2));
                let label = heading_label(&node.inline.text, parent);
                let hidden = parent_hidden || is_presenter(label);
                open.push((level, label, hidden));
                bold = None;
                kept[i] = !hidden;
                if hidden {
                    self.cut(node);
                }
                continue;
            }
            let (section, hidden) = open.last().map_or((context, false), |h| (h.1, h.2));
            if hidden {
                self.cut(node);
                continue;
            }
            let scope = bold.or(section);
            if node.kind == NodeKind::Paragraph {
                if let Some((label, rest)) = opening_label(&node.inline) {
                    kept[i] = !is_presenter(Some(label))
                        && !presenter_text(&rest, &node.inline.code_spans);
                    if rest.is_empty() {
                        bold = Some(label);
                    }
                    if !kept[i] {
                        self.cut(node);
                    }
                    continue;
                }
                bold = None;
            }
            kept[i] = self.node(node, scope);
        }
        // A heading whose section lost all it held goes too (nested ones first).
        for i in (0..nodes.len()).rev() {
            let NodeKind::Heading(level) = nodes[i].kind else {
                continue;
            };
            let end = (i + 1..nodes.len())
                .find(|&j| matches!(nodes[j].kind, NodeKind::Heading(l) if l <= level))
                .unwrap_or(nodes.len());
            if kept[i] && end > i + 1 && !kept[i + 1..end].iter().any(|&k| k) {
                kept[i] = false;
                self.cut(&nodes[i]);
            }
        }
        kept.into_iter().any(|k| k)
    }

    /// One block node that is not a heading or a label paragraph. Returns whether it is kept.
    fn node(&mut self, node: &Node, context: Option<Label>) -> bool {
        let keep = match &node.kind {
            // After "Talking Points" a code block is still a block; after "Expected
            // Result" it is the expected output.
            NodeKind::Code { .. } => context != Some(Label::Expected),
            _ if is_presenter(context) => false,
            NodeKind::Paragraph => !presenter_text(&node.inline.text, &node.inline.code_spans),
            NodeKind::List(_) => {
                let mut any = false;
                for item in &node.children {
                    any |= self.item(item, context);
                }
                any
            }
            // A quote that is not the pitch holds words to say (the parser's
            // notes): only its code blocks stay.
            NodeKind::BlockQuote => {
                !looks_like_pitch(&node.own_text())
                    && self.nodes(&node.children, context.or(Some(Label::Spoken)))
            }
            NodeKind::Table => !presenter_table(node),
            NodeKind::Html => !node.literal.trim_start().starts_with("<!--"),
            _ => true,
        };
        if !keep {
            self.cut(node);
        }
        keep
    }

    /// One list item, read as the parser's `gather_item`. Returns whether it is kept.
    fn item(&mut self, item: &Node, context: Option<Label>) -> bool {
        let lead = item.lead();
        let own = item.own_text();
        let label = opening_label(lead);
        // Checklist items, questions (with their answers) and labelled notes go whole.
        // Questions (with their answers) and labelled notes go whole.
        if infer::is_question_prefixed(&own)
            || label.as_ref().is_some_and(|(l, _)| is_presenter(Some(*l)))
        {
            self.cut(item);
            return false;
        }
        let (presenter, context) = match &label {
            // "**Steps**: ..." (a part label): what follows it reads under it.
            Some((label, rest)) => (presenter_text(rest, &lead.code_spans), Some(*label)),
            None => (presenter_text(&own, &lead.code_spans), context),
        };
        // A checklist item is the presenter's pre-flight list, but the commands under
        // it run in the terminals the audience sees, so they stay, as a remark's do.
        // A checklist item that is the step itself is the step's content.
        let checklist = item.task.is_some() && !self.step_items.contains(&item.range);
        let presenter = presenter || checklist;
        let nested = item
            .children
            .iter()
            .filter(|c| c.kind != NodeKind::Paragraph);
        if !presenter {
            let mut kept = !own.is_empty();
            for child in nested {
                kept |= self.node(child, context);
            }
            if !kept {
                self.cut(item);
            }
            return kept;
        }
        // A remark or an expectation: only the code blocks nested in it stay.
        let mut code = false;
        for child in nested {
            if matches!(child.kind, NodeKind::Code { .. }) {
                code = true;
            } else {
                self.cut(child);
            }
        }
        if code {
            self.cut_text(item);
        } else {
            self.cut(item);
        }
        code
    }

    /// An item's own text: its paragraphs, or the inline text of a tight item (from
    /// just after the item's start up to its first nested block).
    fn cut_text(&mut self, item: &Node) {
        for child in &item.children {
            if child.kind == NodeKind::Paragraph {
                self.cut(child);
            }
        }
        if !item.inline.text.trim().is_empty() {
            let end = item
                .children
                .iter()
                .find(|c| c.kind != NodeKind::Paragraph)
                .map_or(item.range.end, |c| c.range.start);
            self.texts.push(item.range.start + 1..end);
        }
    }
}

/// Whether `tag` opens a node of `kind` (the tree's kinds, read from the same tags).
fn starts(kind: &NodeKind, tag: &Tag<'_>) -> bool {
    matches!(
        (kind, tag),
        (NodeKind::Heading(_), Tag::Heading { .. })
            | (NodeKind::Paragraph, Tag::Paragraph)
            | (NodeKind::BlockQuote, Tag::BlockQuote(_))
            | (NodeKind::List(_), Tag::List(_))
            | (NodeKind::Item, Tag::Item)
            | (NodeKind::Code { .. }, Tag::CodeBlock(_))
            | (NodeKind::Table, Tag::Table(_))
            | (NodeKind::TableRow, Tag::TableHead | Tag::TableRow)
            | (NodeKind::TableCell, Tag::TableCell)
            | (NodeKind::Html, Tag::HtmlBlock)
    )
}

/// Masks `redact` matches in everything an event shows: text, inline code, raw HTML
/// (shown as text), link and image targets and titles, footnote labels.
fn redact_event<'a>(event: Event<'a>, redactor: &Redactor) -> Event<'a> {
    let r = |text: CowStr<'a>| redact_cow(text, redactor);
    match event {
        Event::Text(t) => Event::Text(r(t)),
        Event::Code(t) => Event::Code(r(t)),
        Event::Html(t) => Event::Html(r(t)),
        Event::InlineHtml(t) => Event::InlineHtml(r(t)),
        Event::FootnoteReference(t) => Event::FootnoteReference(r(t)),
        Event::Start(Tag::FootnoteDefinition(t)) => Event::Start(Tag::FootnoteDefinition(r(t))),
        Event::Start(Tag::Link {
            link_type,
            dest_url,
            title,
            id,
        }) => Event::Start(Tag::Link {
            link_type,
            dest_url: r(dest_url),
            title: r(title),
            id,
        }),
        Event::Start(Tag::Image {
            link_type,
            dest_url,
            title,
            id,
        }) => Event::Start(Tag::Image {
            link_type,
            dest_url: r(dest_url),
            title: r(title),
            id,
        }),
        other => other,
    }
}

fn redact_cow<'a>(text: CowStr<'a>, redactor: &Redactor) -> CowStr<'a> {
    let masked = match redactor.redact(&text) {
        std::borrow::Cow::Owned(s) => Some(s),
        std::borrow::Cow::Borrowed(_) => None,
    };
    masked.map_or(text, CowStr::from)
}

/// The element a code block becomes, for the UI to fill in.
fn placeholder(block_id: &str) -> String {
    format!(
        "<div class=\"cue-block\" data-block=\"{}\"></div>",
        escape_html(block_id)
    )
}

/// Keeps http(s), mailto and `#anchor` targets; anything else (javascript:, data:,
/// file:, relative paths that would navigate the app) becomes an inert `#`.
fn safe_url(url: CowStr<'_>) -> CowStr<'_> {
    let lower = url.trim_start().to_ascii_lowercase();
    let allowed = ["http://", "https://", "mailto:", "#"]
        .iter()
        .any(|p| lower.starts_with(p));
    if allowed {
        url
    } else {
        CowStr::Borrowed("#")
    }
}

/// `text` safe in HTML text and in quoted attribute values.
pub(crate) fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// [`render_for_audience`] of Markdown that is not a list-item step.
#[cfg(test)]
fn audience_html(markdown: &str, block_ids: &[String], redactor: &Redactor) -> String {
    render_for_audience(markdown, block_ids, redactor, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_blocks_become_placeholders() {
        let html = step_html("Intro\n\n```bash\nls\n```\n", &["b1".into()]);
        assert!(html.contains("<p>Intro</p>"));
        assert!(
            html.contains(r#"<div class="cue-block" data-block="b1"></div>"#),
            "{html}"
        );
        assert!(!html.contains("ls"));
    }

    #[test]
    fn raw_html_is_shown_as_text() {
        let html = step_html(
            "<script>alert(1)</script>\n\nSee <img src=x onerror=alert(1)> here\n\n<div class=\"cue-block\" onclick=\"x()\">",
            &[],
        );
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("<img"), "{html}");
        assert!(!html.contains("<div"), "{html}");
        assert!(html.contains("&lt;script&gt;"), "{html}");
    }

    #[test]
    fn only_safe_link_targets_survive() {
        let html = step_html(
            "[a](javascript:alert(1)) [b](https://example.org) ![c](data:text/html,x) [d](#top) [e](other.md)",
            &[],
        );
        assert!(!html.contains("javascript:"), "{html}");
        assert!(!html.contains("data:"), "{html}");
        assert!(!html.contains("other.md"), "{html}");
        assert!(html.contains(r#"href="https://example.org""#), "{html}");
        assert!(html.contains(r##"href="#top""##), "{html}");
    }

    #[test]
    fn block_ids_are_escaped() {
        let html = step_html("```\nx\n```\n", &["a\"><script>".into()]);
        assert!(!html.contains("<script>"), "{html}");
    }

    // --- The audience's rendering ---

    fn ids(n: usize) -> Vec<String> {
        (1..=n).map(|i| format!("b{i}")).collect()
    }

    /// The text a viewer reads, tags removed and entities decoded, `squash`ed.
    fn visible(html: &str) -> String {
        let mut text = String::with_capacity(html.len());
        let mut in_tag = false;
        for c in html.chars() {
            match c {
                '<' => in_tag = true,
                '>' if in_tag => in_tag = false,
                c if !in_tag => text.push(c),
                _ => {}
            }
        }
        squash(
            &text
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&quot;", "\"")
                .replace("&#39;", "'")
                .replace("&amp;", "&"),
        )
    }

    /// Text compared as it reads once rendered, whatever the markup around its words:
    /// no white space, no code-span backticks.
    fn squash(text: &str) -> String {
        text.chars()
            .filter(|c| !c.is_whitespace() && *c != '`')
            .collect()
    }

    fn shows(html: &str, text: &str) -> bool {
        visible(html).contains(&squash(text))
    }

    fn audience_plain(markdown: &str, n: usize) -> String {
        audience_html(markdown, &ids(n), &Redactor::default())
    }

    #[test]
    fn audience_html_keeps_step_html_rules() {
        let md = "Intro with [a](javascript:x) and <b>raw</b>\n\n```bash\nls\n```\n";
        let html = audience_plain(md, 1);
        assert_eq!(html, step_html(md, &ids(1)));
        assert!(html.contains(&placeholder("b1")), "{html}");
        assert!(html.contains("&lt;b&gt;raw"), "{html}");
        assert!(!html.contains("javascript:"), "{html}");
    }

    #[test]
    fn presenter_headings_go_with_their_sections() {
        let md = "Intro\n\n### Talking Points\n\n- secret point\n\n#### Deeper\n\nstill notes\n\n\
                  ```bash\nhidden\n```\n\n### Steps\n\n```bash\nls\n```\n\n\
                  ### Questions to Anticipate\n\n1. **\"How?\"**\n   - Carefully\n\n\
                  ### What Are We Showing?\n\n> \"The pitch\"\n\n\
                  ### Expected Result (30s)\n\n```\nall good\n```\n\n### After\n\nShown again\n";
        let html = audience_plain(md, 3);
        for gone in [
            "Talking Points",
            "secret point",
            "Deeper",
            "still notes",
            "Questions",
            "How?",
            "Carefully",
            "Showing",
            "The pitch",
            "Expected",
        ] {
            assert!(!shows(&html, gone), "{gone:?} in {html}");
        }
        for kept in ["Intro", "Steps", "After", "Shown again"] {
            assert!(shows(&html, kept), "{kept:?} not in {html}");
        }
        // The block under the notes and the expected output go; `ls` keeps its id.
        assert!(html.contains(&placeholder("b2")), "{html}");
        assert!(!html.contains("b1") && !html.contains("b3"), "{html}");
    }

    #[test]
    fn label_paragraphs_go_with_what_they_govern() {
        let md =
            "**Talking Points:**\n\n- one\n- two\n\nStill a talking point.\n\nPlain prose.\n\n\
                  Talking points:\n\n> quoted note\n\nA note too.\n\nMore prose.\n\n\
                  **Expected Result**: all nodes agree\n\nExpected Result: the same\n\n\
                  **Q&A**\n\nWhy? Because.\n\nAfter the answer.\n\n\
                  **Expected Result:**\n\n```\noutput\n```\n\nSeen after it.\n\n\
                  **Steps**:\n\n1. Run it\n\n\
                  **Key Points:**\n\n```bash\nstill a block\n```\n\nKey stuff here.\n\n\
                  - **Key point:** the audience must not read this\n- A step to keep\n";
        let html = audience_plain(md, 2);
        for gone in [
            "Talking",
            "one",
            "two",
            "Still a talking point",
            "quoted note",
            "A note too",
            "all nodes agree",
            "the same",
            "Q&A",
            "Because",
            "output",
            "Seen after it",
            "Key",
            "must not",
        ] {
            assert!(!shows(&html, gone), "{gone:?} in {html}");
        }
        for kept in [
            "Plain prose.",
            "More prose.",
            "After the answer.",
            "Steps:",
            "Run it",
            "A step to keep",
        ] {
            assert!(shows(&html, kept), "{kept:?} not in {html}");
        }
        // The expected output goes; a block after "Key Points" is still a block.
        assert!(!html.contains(&placeholder("b1")), "{html}");
        assert!(html.contains(&placeholder("b2")), "{html}");
    }

    #[test]
    fn inline_presenter_content_goes() {
        let md = "Q: \"Does it scale?\" → A: Linearly.\n\n\
                  - **Q: Can it fail?**\n  - A: Never.\n- Q: Lost? - A: Some.\n- Keep me\n\n\
                  You should see `HTTP/1.1 200 OK` first.\n\n\
                  Call out that these are parser-level checks.\nAnd this line with it.\n\n\
                  > \"A runbook is the demo.\"\n\n\
                  | Metric | Target | Achieved |\n|---|---|---|\n| p95 | < 250ms | 40ms |\n\n\
                  | Time | Demo |\n|---|---|\n| 0:00-1:00 | Rate limits |\n\n\
                  | Port | Service |\n|---|---|\n| 8080 | api |\n\n\
                  - [ ] curl installed\n- [x] port free\n\n\
                  <!--\nspeaker: breathe\n-->\n\nText <!-- inline\nnote --> here.\n\n\
                  1. Explain the output:\n   ```bash\n   ls\n   ```\n2. Each should display: `[seq=1]`\n\n\
                  3. **Check the nodes**:\n   - Each should display: `[seq=1] Hello`\n";
        let html = audience_plain(md, 1);
        for gone in [
            "scale",
            "Linearly",
            "Can it fail",
            "Never",
            "Lost",
            "HTTP/1.1",
            "parser-level",
            "this line with it",
            "runbook is the demo",
            "250ms",
            "Rate limits",
            "curl installed",
            "port free",
            "breathe",
            "inline",
            "note",
            "Explain",
            "seq=1",
        ] {
            assert!(!shows(&html, gone), "{gone:?} in {html}");
        }
        for kept in ["Keep me", "8080", "Text here.", "Check the nodes:"] {
            assert!(shows(&html, kept), "{kept:?} not in {html}");
        }
        // A remark's nested command stays; emptied lists and items go.
        assert!(html.contains(&placeholder("b1")), "{html}");
        assert!(!html.contains("<li></li>"), "{html}");
        assert!(!html.contains("<ul>\n</ul>"), "{html}");
        assert!(!html.contains("type=\"checkbox\""), "{html}");
    }

    #[test]
    fn audience_text_is_redacted() {
        let r = Redactor::new(&["sk-\\w+".into()]);
        let md = "Use sk-abc123 or `sk-def456`, or [sk-ghi](https://x.test/?k=sk-jkl \"sk-mno\").\n\n\
                  <b>sk-pqr</b> ![sk-stu](https://x.test/sk-vwx.png)\n\n```bash\necho sk-block\n```\n";
        let html = audience_html(md, &ids(1), &r);
        assert!(!html.contains("sk-"), "{html}");
        assert!(
            html.contains("Use ********* or <code>*********</code>"),
            "{html}"
        );
        assert!(html.contains(&placeholder("b1")), "{html}");
        // A secret pulldown-cmark reads as several text runs is still masked whole.
        let r = Redactor::new(&["tok_\\S+_end".into()]);
        let split = audience_html("a tok_a[b]_end b\n", &[], &r);
        assert!(split.contains("a ************ b"), "{split}");
    }

    #[test]
    fn a_presenter_step_shows_nothing() {
        let mut runbook = crate::runbook::parse_str(
            "# T\n\n## Demo (1 minute)\n\n```bash\nls\n```\n\n## Presentation Tips\n\n1. **Breathe**\n\n\
             ## Post-Demo Questions\n\n### Technical\n\n1. **How many?**\n   → Three.\n",
            None,
        );
        let redactor = Redactor::default();
        let titles: Vec<&str> = runbook.steps.iter().map(|s| s.title.as_str()).collect();
        assert_eq!(titles, ["Demo", "Presentation Tips", "Post-Demo Questions"]);
        assert_eq!(runbook.steps[0].audience_content(&redactor).1, [0]);
        for step in &runbook.steps[1..] {
            assert_eq!(step.audience_content(&redactor), (String::new(), vec![]));
        }
        // A step under a questions heading is questions too.
        runbook.steps[2].title = "Technical".into();
        runbook.steps[2]
            .breadcrumbs
            .push("Post-Demo Questions".into());
        assert_eq!(runbook.steps[2].audience_content(&redactor).0, "");
    }

    /// The runbooks the parser is tested on, and our own tour.
    fn corpus() -> Vec<(String, String)> {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files: Vec<std::path::PathBuf> = std::fs::read_dir(root.join("tests/fixtures"))
            .expect("fixtures folder")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "md"))
            .collect();
        files.sort();
        files.push(root.join("../runbooks/tour.md"));
        assert!(files.len() >= 9, "{files:?}");
        files
            .into_iter()
            .map(|p| {
                let name = p.file_name().unwrap_or_default().to_string_lossy();
                let text = std::fs::read_to_string(&p).expect("readable runbook");
                (name.into_owned(), text)
            })
            .collect()
    }

    /// Prose of each runbook known to be for the audience.
    fn known_prose(file: &str) -> &'static [&'static str] {
        match file {
            "tour.md" => &[
                "The `demo` light turns red: every request now answers 503.",
                "The light is green again within a second.",
                "Check health",
                "Read the metrics",
            ],
            "cluster.md" => &["Connect a client", "Send messages", "Check the nodes"],
            "odd.md" => &["A bullet with a fence inside:"],
            "protocol.md" => &[
                "Keep this terminal visible for the logs.",
                "In a browser, open:",
            ],
            "timed.md" => &["Show the architecture", "Encryption at rest"],
            "timeline.md" => &["Steps", "Metrics"],
            _ => &[],
        }
    }

    /// The presenter content the parser found in a step, line by line.
    fn presenter_fragments(step: &Step) -> Vec<String> {
        let mut texts: Vec<&str> = Vec::new();
        texts.extend(step.notes.iter().map(|n| n.text.as_str()));
        for q in &step.questions {
            texts.push(&q.question);
            texts.push(&q.answer);
        }
        texts.extend(step.expectations.iter().map(|e| e.text.as_str()));
        texts.extend(step.pitch.as_deref());
        for t in &step.targets {
            texts.push(&t.metric);
            texts.push(&t.target);
            texts.extend(t.achieved.as_deref());
        }
        texts
            .iter()
            .flat_map(|t| t.lines())
            .map(|line| squash(line.trim().trim_start_matches("- ")))
            .filter(|f| f.chars().count() >= 4)
            .collect()
    }

    #[test]
    fn fixtures_show_the_audience_no_presenter_content() {
        for (file, source) in corpus() {
            let runbook = crate::runbook::parse_str(&source, None);
            let redactor = Redactor::new(&runbook.front_matter.redact);
            let mut prose = String::new();
            let mut presenter_parts = 0;
            for step in &runbook.steps {
                let (html, kept) = step.audience_content(&redactor);
                let text = visible(&html);
                let fragments = presenter_fragments(step);
                presenter_parts += fragments.len();
                for fragment in &fragments {
                    assert!(
                        !text.contains(fragment.as_str()),
                        "{file}, step {:?}: presenter text {fragment:?} in {html}",
                        step.title
                    );
                }
                // Every block keeps its placeholder but the expected output.
                let expected: Vec<usize> = (0..step.blocks.len())
                    .filter(|&i| {
                        let source = step.blocks[i].source.trim_end();
                        !step.expectations.iter().any(|e| e.text == source)
                    })
                    .collect();
                assert_eq!(kept, expected, "{file}, step {:?}: {html}", step.title);
                for &i in &kept {
                    let slot = placeholder(&format!("b{i}"));
                    assert!(html.contains(&slot), "{file}: {slot} missing in {html}");
                }
                prose.push_str(&text);
            }
            for known in known_prose(&file) {
                assert!(
                    prose.contains(&squash(known)),
                    "{file}: {known:?} missing from the audience's {prose}"
                );
            }
            let quiet = ["gated.md", "odd.md", "recorded.md", "runme.md"];
            assert_eq!(
                presenter_parts > 0,
                !quiet.contains(&file.as_str()),
                "{file}"
            );
        }
    }
}
