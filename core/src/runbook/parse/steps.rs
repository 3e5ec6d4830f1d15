//! Gathering presenter content from sections into steps.

use std::collections::{BTreeMap, HashMap, HashSet};

use super::content::{
    bold_label, gather_targets, item_text, looks_like_pitch, question_card, strip_label,
};
use super::sections::{ancestors, Section};
use crate::runbook::infer::{self, Label};
use crate::runbook::markdown::{Node, NodeKind};
use crate::runbook::model::*;
use crate::runbook::shell;

/// Presenter content gathered from one step's sections.
#[derive(Default)]
pub(super) struct StepContent {
    pub(super) blocks: Vec<CodeBlock>,
    pub(super) substeps: Vec<SubStep>,
    pub(super) notes: Vec<Note>,
    pub(super) questions: Vec<QaCard>,
    pub(super) expectations: Vec<Expectation>,
    pub(super) pitch: Vec<String>,
    pub(super) targets: Vec<MetricTarget>,
    pub(super) links: Vec<Link>,
    /// "**Timing**: 2-3 minutes" in the step's text: seconds, and the line.
    pub(super) budget: Option<(u32, usize)>,
    /// Source offsets of the code nodes already made blocks: each goes in once.
    pub(super) placed: HashSet<usize>,
}

impl StepContent {
    pub(super) fn is_presentable(&self) -> bool {
        self.blocks.iter().any(|b| b.kind != BlockKind::Shown)
            || !self.notes.is_empty()
            || !self.questions.is_empty()
            || !self.expectations.is_empty()
            || !self.pitch.is_empty()
            || !self.targets.is_empty()
    }
}

#[derive(Default)]
pub(super) struct Builder<'a> {
    pub(super) body: &'a str,
    pub(super) steps: Vec<Step>,
    pub(super) diagnostics: Vec<Diagnostic>,
    pub(super) step_of_section: HashMap<usize, usize>,
}

impl<'a> Builder<'a> {
    pub(super) fn diag(&mut self, severity: Severity, line: usize, message: impl Into<String>) {
        self.diagnostics.push(Diagnostic {
            severity,
            line,
            message: message.into(),
        });
    }

    pub(super) fn build_steps(&mut self, sections: &[Section], owners: &[Option<usize>]) {
        let mut owned: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
        for (i, owner) in owners.iter().enumerate() {
            if let Some(o) = owner {
                owned.entry(*o).or_default().push(i);
            }
        }
        for (root, members) in owned {
            let mut content = StepContent::default();
            for &m in &members {
                self.gather_section(&sections[m], &mut content);
            }
            // A section holding a code block is a step even if nothing in it runs:
            // every block of the document is in the model.
            if !content.is_presentable()
                && content.blocks.is_empty()
                && sections[root].budget.is_none()
            {
                continue;
            }
            let step = self.make_step(sections, root, &members, content);
            self.step_of_section.insert(root, self.steps.len());
            self.steps.push(step);
        }
    }

    pub(super) fn make_step(
        &self,
        sections: &[Section],
        root: usize,
        members: &[usize],
        mut c: StepContent,
    ) -> Step {
        let s = &sections[root];
        // Blocks found by the safety net come last: put them back in document order,
        // which is the order of the placeholders in the step's HTML.
        c.blocks.sort_by_key(|b| b.line);
        let breadcrumbs: Vec<String> = {
            let mut b: Vec<String> = ancestors(sections, root)
                .map(|a| sections[a].title.clone())
                .collect();
            b.reverse();
            b
        };
        let end_line = members
            .iter()
            .map(|&m| sections[m].end_line)
            .max()
            .unwrap_or(s.end_line);
        let markdown = members
            .iter()
            .map(|&m| self.section_markdown(&sections[m], m == root))
            .collect::<Vec<_>>()
            .join("\n");
        Step {
            id: String::new(),
            title: if !s.title.is_empty() {
                s.title.clone()
            } else if !s.raw_title.is_empty() {
                s.raw_title.clone()
            } else {
                INTRODUCTION.to_string()
            },
            level: s.level,
            line: s.line,
            end_line,
            optional: infer::is_optional_title(&s.raw_title)
                || breadcrumbs.iter().any(|b| infer::is_optional_title(b)),
            breadcrumbs,
            budget: s
                .budget
                .map(|seconds| Budget {
                    seconds,
                    source: BudgetSource::Heading,
                    line: s.line,
                })
                .or(c.budget.map(|(seconds, line)| Budget {
                    seconds,
                    source: BudgetSource::Label,
                    line,
                })),
            markdown,
            html: String::new(),
            blocks: c.blocks,
            substeps: c.substeps,
            notes: c.notes,
            questions: c.questions,
            expectations: c.expectations,
            pitch: (!c.pitch.is_empty()).then(|| c.pitch.join("\n\n")),
            targets: c.targets,
            links: c.links,
            from_list_item: s.item.is_some(),
        }
    }

    /// The section's source; the step's own heading is left out (the UI shows the title).
    pub(super) fn section_markdown(&self, s: &Section, is_root: bool) -> String {
        let start = match (s.heading, s.item, is_root) {
            (Some(h), _, true) => h.range.end,
            (Some(h), _, false) => h.range.start,
            (None, Some(item), _) => item.range.start,
            (None, None, _) => 0,
        };
        let end = s
            .nodes
            .last()
            .or(s.item.as_ref())
            .map_or(start, |n| n.range.end);
        self.body
            .get(start..end.max(start))
            .unwrap_or("")
            .trim()
            .to_string()
    }

    pub(super) fn gather_section(&mut self, s: &Section, c: &mut StepContent) {
        if let Some(item) = s.item {
            self.gather_item_step(item, c);
        }
        self.gather_nodes(&s.nodes, s.label, c, false);
        for node in s.item.iter().chain(&s.nodes) {
            self.place_the_rest(node, c);
        }
    }

    /// Top-level nodes in order; a bold label alone on its line ("**Say:**") sets the
    /// context of the nodes after it. With `bullets_are_notes`, plain bullets (no
    /// code, no label) are the step's notes.
    fn gather_nodes(
        &mut self,
        nodes: &[&Node],
        label: Option<Label>,
        c: &mut StepContent,
        bullets_are_notes: bool,
    ) {
        let mut bold: Option<Label> = None;
        for node in nodes {
            let context = bold.or(label);
            if node.kind == NodeKind::Paragraph {
                if let Some((label, rest)) = bold_label(node) {
                    if rest.is_empty() {
                        bold = Some(label);
                    } else {
                        self.apply_label(label, &rest, node, c);
                    }
                    continue;
                }
                bold = None;
            }
            match node.kind {
                NodeKind::List(None) if bullets_are_notes && context.is_none() => {
                    self.gather_bullets(node, c)
                }
                _ => self.gather_node(node, context, c, None),
            }
        }
    }

    /// A list item that is a step (a document without `##`): its first line is the
    /// title; its other paragraphs, code blocks, quotes and nested lists are the step.
    fn gather_item_step(&mut self, item: &Node, c: &mut StepContent) {
        // A loose item's first paragraph is its title, already read.
        let lead = item
            .inline
            .text
            .trim()
            .is_empty()
            .then(|| {
                item.children
                    .iter()
                    .position(|n| n.kind == NodeKind::Paragraph)
            })
            .flatten();
        let rest: Vec<&Node> = item
            .children
            .iter()
            .enumerate()
            .filter(|(i, _)| Some(*i) != lead)
            .map(|(_, n)| n)
            .collect();
        self.gather_nodes(&rest, None, c, true);
    }

    /// A quote under a step that is not its pitch: lines to be spoken, unless a
    /// paragraph of it reads as something else (an expectation, a Q&A card).
    fn gather_quote(&mut self, quote: &Node, c: &mut StepContent, substep: Option<usize>) {
        for child in &quote.children {
            if child.kind != NodeKind::Paragraph {
                self.gather_node(child, None, c, substep);
                continue;
            }
            let before = (c.notes.len(), c.expectations.len(), c.questions.len());
            let text = child.inline.text.trim();
            self.gather_text(text, &child.inline.code_spans, child.line, None, c);
            if before != (c.notes.len(), c.expectations.len(), c.questions.len()) {
                continue;
            }
            if let Some(note) = spoken_note(text, child.line) {
                c.notes.push(note);
            }
        }
    }

    /// Nested bullets under a step item are its notes, unless they hold code or open
    /// with a label ("Talking points:"), which are read as anywhere else.
    fn gather_bullets(&mut self, list: &Node, c: &mut StepContent) {
        for item in &list.children {
            let has_code = {
                let mut found = false;
                item.walk(&mut |n| found |= matches!(n.kind, NodeKind::Code { .. }));
                found
            };
            let bold = item.lead().leading_strong.as_deref().and_then(infer::label);
            if has_code || bold.is_some() || item_label(item).is_some() || item.task.is_some() {
                self.gather_item(item, None, None, c, None);
                continue;
            }
            let text = item_text(item);
            if !text.trim().is_empty() {
                c.notes.push(Note {
                    kind: NoteKind::Remark,
                    label: String::new(),
                    text,
                    line: item.line,
                });
            }
        }
    }

    /// The safety net of the invariant: a code block no rule took (in a Q&A answer,
    /// a checklist item, a pitch quote, ...) is still one of the step's blocks.
    fn place_the_rest(&mut self, node: &Node, c: &mut StepContent) {
        let mut missed: Vec<&Node> = Vec::new();
        node.walk(&mut |n| {
            if matches!(n.kind, NodeKind::Code { .. }) && !c.placed.contains(&n.range.start) {
                missed.push(n);
            }
        });
        for n in missed {
            if let NodeKind::Code { info, fenced } = &n.kind {
                let block = self.code_block(n, info, *fenced, None);
                c.placed.insert(n.range.start);
                c.blocks.push(block);
            }
        }
    }

    pub(super) fn gather_node(
        &mut self,
        node: &Node,
        context: Option<Label>,
        c: &mut StepContent,
        substep: Option<usize>,
    ) {
        match &node.kind {
            NodeKind::Paragraph => self.gather_text(
                &node.inline.text,
                &node.inline.code_spans,
                node.line,
                context,
                c,
            ),
            NodeKind::List(start) => {
                for (n, item) in node.children.iter().enumerate() {
                    self.gather_item(item, start.map(|s| s + n as u64), context, c, substep);
                }
            }
            NodeKind::Code { info, fenced } => {
                if !c.placed.insert(node.range.start) {
                    return;
                }
                let block = self.code_block(node, info, *fenced, substep);
                if context == Some(Label::Expected) {
                    c.expectations.push(Expectation {
                        text: node.literal.trim_end().to_string(),
                        output: None,
                        line: node.line,
                    });
                }
                let whole_url = infer::urls(&node.literal)
                    .into_iter()
                    .filter(|u| block.kind == BlockKind::Shown && node.literal.trim() == u);
                let opened = node.literal.lines().filter_map(shell::open_url);
                for url in whole_url.chain(opened) {
                    c.links.push(Link {
                        url,
                        line: node.line,
                    });
                }
                c.blocks.push(block);
            }
            NodeKind::BlockQuote => {
                let text = node.own_text();
                if context == Some(Label::Pitch)
                    || (c.pitch.is_empty() && context.is_none() && looks_like_pitch(&text))
                {
                    c.pitch.push(text);
                } else if context.is_none() {
                    self.gather_quote(node, c, substep);
                } else {
                    for child in &node.children {
                        self.gather_node(child, context, c, substep);
                    }
                }
            }
            NodeKind::Table => gather_targets(node, c),
            _ => {}
        }
    }

    pub(super) fn gather_item(
        &mut self,
        item: &Node,
        number: Option<u64>,
        context: Option<Label>,
        c: &mut StepContent,
        substep: Option<usize>,
    ) {
        let lead = item.lead();
        let has_code = {
            let mut found = false;
            item.walk(&mut |n| found |= matches!(n.kind, NodeKind::Code { .. }));
            found
        };
        let mut substep = substep;
        if let (Some(number), true, None) = (number, has_code, substep) {
            c.substeps.push(SubStep {
                number,
                title: lead.text.trim().trim_end_matches(':').trim().to_string(),
                line: item.line,
                blocks: Vec::new(),
            });
            substep = Some(c.substeps.len() - 1);
        }
        if item.task.is_some() {
            return; // checklist items are gathered for the whole runbook
        }
        match context {
            Some(Label::Questions) => {
                if let Some(card) = question_card(item) {
                    c.questions.push(card);
                    return;
                }
            }
            Some(Label::Notes(kind)) => {
                c.notes.push(Note {
                    kind,
                    label: String::new(),
                    text: item_text(item),
                    line: item.line,
                });
                return;
            }
            _ => {}
        }
        // Item-level conventions anywhere: a bold label opening an item, "Q: → A:".
        let own = item.own_text();
        if let Some(label_text) = &lead.leading_strong {
            if let Some(label) = infer::label(label_text) {
                let rest = strip_label(&lead.text, label_text);
                if !rest.is_empty() {
                    self.apply_label(label, &rest, item, c);
                }
                for child in &item.children {
                    if !matches!(child.kind, NodeKind::Paragraph) {
                        self.gather_node(child, Some(label), c, substep);
                    }
                }
                return;
            }
        }
        if let (None, Some(label)) = (&lead.leading_strong, item_label(item)) {
            // "Talking points:" as a bullet, its points nested under it.
            for child in &item.children {
                if !matches!(child.kind, NodeKind::Paragraph) {
                    self.gather_node(child, Some(label), c, substep);
                }
            }
            return;
        }
        self.gather_text(&own, &lead.code_spans, item.line, context, c);
        for child in &item.children {
            if child.kind != NodeKind::Paragraph {
                self.gather_node(child, context, c, substep);
            }
        }
    }

    /// Free text: notes, expectations and Q&A written inline.
    pub(super) fn gather_text(
        &mut self,
        text: &str,
        code_spans: &[String],
        line: usize,
        context: Option<Label>,
        c: &mut StepContent,
    ) {
        let text = text.trim();
        if text.is_empty() {
            return;
        }
        match context {
            Some(Label::Notes(kind)) => c.notes.push(Note {
                kind,
                label: String::new(),
                text: text.to_string(),
                line,
            }),
            Some(Label::Questions) => match infer::qa_inline(text) {
                Some((question, answer)) => c.questions.push(QaCard {
                    question,
                    answer,
                    line,
                }),
                None => c.notes.push(Note {
                    kind: NoteKind::Remark,
                    label: String::new(),
                    text: text.to_string(),
                    line,
                }),
            },
            Some(Label::Pitch) => c.pitch.push(text.to_string()),
            Some(Label::Spoken) => c.notes.push(spoken(text, line)),
            Some(Label::Expected) => c.expectations.push(Expectation {
                text: text.to_string(),
                output: code_spans.first().cloned(),
                line,
            }),
            Some(Label::Part | Label::Timing) | None => {
                if let Some((question, answer)) =
                    infer::qa_inline(text).filter(|_| infer::is_question_prefixed(text))
                {
                    c.questions.push(QaCard {
                        question,
                        answer,
                        line,
                    });
                } else if let Some((sentence, output)) = infer::should_see(text, code_spans) {
                    c.expectations.push(Expectation {
                        text: sentence,
                        output,
                        line,
                    });
                } else if let Some(kind) = infer::presenter_remark(text) {
                    c.notes.push(Note {
                        kind,
                        label: String::new(),
                        text: text.to_string(),
                        line,
                    });
                }
            }
        }
        for url in infer::urls(text) {
            if !c.links.iter().any(|l| l.url == url) {
                c.links.push(Link { url, line });
            }
        }
    }

    /// A bold label with text after it: "**Expected Result**: all nodes agree".
    pub(super) fn apply_label(
        &mut self,
        label: Label,
        rest: &str,
        node: &Node,
        c: &mut StepContent,
    ) {
        let spans = &node.lead().code_spans;
        match label {
            Label::Expected => c.expectations.push(Expectation {
                text: rest.to_string(),
                output: spans.first().cloned(),
                line: node.line,
            }),
            Label::Pitch => c.pitch.push(rest.to_string()),
            Label::Timing => {
                if let Some(seconds) = infer::duration_seconds(rest) {
                    c.budget.get_or_insert((seconds, node.line));
                }
            }
            other => self.gather_text(rest, spans, node.line, Some(other), c),
        }
    }
}

/// The title a step gets when nothing names it: what comes before the first heading.
const INTRODUCTION: &str = "Introduction";

/// A plain-text label that opens an item and has nested items under it
/// ("Talking points:"); bold labels are read by [`bold_label`].
fn item_label(item: &Node) -> Option<Label> {
    let text = item.lead().text.trim();
    let has_sublist = item.sublists().next().is_some();
    if !has_sublist || !text.ends_with(':') {
        return None;
    }
    infer::label(text)
}

/// A quoted paragraph as a note: a GitHub alert (`[!TIP] ...`) is a tip, the rest
/// are words to say.
fn spoken_note(text: &str, line: usize) -> Option<Note> {
    let alert = text
        .strip_prefix("[!")
        .and_then(|rest| rest.split_once(']'))
        .map(|(_, after)| after.trim());
    match alert {
        Some(after) if !after.is_empty() => Some(Note {
            kind: NoteKind::Tip,
            label: String::new(),
            text: after.to_string(),
            line,
        }),
        Some(_) => None,
        None => (!text.is_empty()).then(|| spoken(text, line)),
    }
}

/// Words to say: a talking point labelled [`SPOKEN`] for the presenter's view.
fn spoken(text: &str, line: usize) -> Note {
    Note {
        kind: NoteKind::TalkingPoint,
        label: SPOKEN.to_string(),
        text: text.to_string(),
        line,
    }
}

/// The label of a note that is to be said as written ("**Say:**", a quote).
pub(in crate::runbook) const SPOKEN: &str = "Say";
