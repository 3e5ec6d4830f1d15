//! Gathering presenter content from sections into steps.

use std::collections::{BTreeMap, HashMap};

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
            if !content.is_presentable() && sections[root].budget.is_none() {
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
        c: StepContent,
    ) -> Step {
        let s = &sections[root];
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
            title: if s.title.is_empty() {
                s.raw_title.clone()
            } else {
                s.title.clone()
            },
            level: s.level,
            line: s.line,
            end_line,
            optional: infer::is_optional_title(&s.raw_title)
                || breadcrumbs.iter().any(|b| infer::is_optional_title(b)),
            breadcrumbs,
            budget: s.budget.map(|seconds| Budget {
                seconds,
                source: BudgetSource::Heading,
                line: s.line,
            }),
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
        }
    }

    /// The section's source; the step's own heading is left out (the UI shows the title).
    pub(super) fn section_markdown(&self, s: &Section, is_root: bool) -> String {
        let start = match (s.heading, is_root) {
            (Some(h), true) => h.range.end,
            (Some(h), false) => h.range.start,
            (None, _) => 0,
        };
        let end = s.nodes.last().map_or(start, |n| n.range.end);
        self.body
            .get(start..end.max(start))
            .unwrap_or("")
            .trim()
            .to_string()
    }

    pub(super) fn gather_section(&mut self, s: &Section, c: &mut StepContent) {
        let mut bold: Option<Label> = None;
        for node in &s.nodes {
            let context = bold.or(s.label);
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
            self.gather_node(node, context, c, None);
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
            Some(Label::Expected) => c.expectations.push(Expectation {
                text: text.to_string(),
                output: code_spans.first().cloned(),
                line,
            }),
            Some(Label::Part) | None => {
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
            other => self.gather_text(rest, spans, node.line, Some(other), c),
        }
    }
}
