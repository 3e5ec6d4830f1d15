//! Reading one piece of presenter content: bold labels, Q&A cards in every form
//! authors use, list items with nested answers, metric-target tables.

use super::steps::StepContent;
use crate::runbook::infer::{self, Label};
use crate::runbook::markdown::Node;
use crate::runbook::model::*;

/// "**Talking Points:**" or "**Expected Result**: text" -> (label, text after it).
pub(super) fn bold_label(node: &Node) -> Option<(Label, String)> {
    let lead = node.inline.leading_strong.as_ref()?;
    let label = infer::label(lead)?;
    Some((label, strip_label(&node.inline.text, lead)))
}

pub(in crate::runbook) fn strip_label(text: &str, label: &str) -> String {
    text.trim_start()
        .strip_prefix(label)
        .unwrap_or(text)
        .trim_start_matches([':', ' ', '-', '–', '—'])
        .trim()
        .to_string()
}

pub(in crate::runbook) fn looks_like_pitch(text: &str) -> bool {
    let t = text.trim();
    t.starts_with('"') || t.starts_with('\u{201c}')
}

/// An item's text with its nested items as indented lines.
pub(super) fn item_text(item: &Node) -> String {
    let mut text = item.own_text();
    for list in item.sublists() {
        for child in &list.children {
            text.push_str("\n- ");
            text.push_str(&item_text(child).replace('\n', "\n  "));
        }
    }
    text
}

/// A Q&A card from a list item, in any of the forms authors use:
/// `Q: x → A: y`, `**Q: x**` + `- A: y`, `**"x?"**` + answer bullets, `**x?**` + `→ y`.
pub(super) fn question_card(item: &Node) -> Option<QaCard> {
    let lead = item.lead();
    let own = item.own_text();
    if let Some((question, answer)) = infer::qa_inline(&own) {
        return Some(QaCard {
            question,
            answer,
            line: item.line,
        });
    }
    let question_text = lead
        .leading_strong
        .clone()
        .unwrap_or_else(|| own.lines().next().unwrap_or("").to_string());
    let after: String = strip_label(&own, &question_text);
    let mut answers: Vec<String> = Vec::new();
    if let Some(a) =
        infer::strip_answer_prefix(&after).or((!after.is_empty()).then(|| after.clone()))
    {
        answers.push(a);
    }
    for list in item.sublists() {
        for child in &list.children {
            let t = item_text(child);
            answers.push(infer::strip_answer_prefix(&t).unwrap_or(t));
        }
    }
    let question = infer::clean_question(&question_text);
    if question.is_empty() || (answers.is_empty() && !question.contains('?')) {
        return None;
    }
    Some(QaCard {
        question,
        answer: answers.join("\n"),
        line: item.line,
    })
}

pub(super) fn cells(row: &Node) -> Vec<String> {
    row.children
        .iter()
        .map(|c| c.inline.text.trim().to_string())
        .collect()
}

/// Tables with a Target column: metric targets (and what was achieved).
pub(super) fn gather_targets(table: &Node, c: &mut StepContent) {
    let Some(header) = table.children.first() else {
        return;
    };
    let head = cells(header);
    let find = |pred: &dyn Fn(&str) -> bool| head.iter().position(|h| pred(&h.to_lowercase()));
    let Some(target) = find(&|h| h.contains("target") || h == "goal") else {
        return;
    };
    let achieved = find(&|h| {
        ["achieved", "actual", "measured", "result"]
            .iter()
            .any(|k| h.contains(k))
    });
    for row in table.children.iter().skip(1) {
        let cells = cells(row);
        let Some(metric) = cells.first().filter(|m| !m.is_empty()) else {
            continue;
        };
        c.targets.push(MetricTarget {
            metric: metric.clone(),
            target: cells.get(target).cloned().unwrap_or_default(),
            achieved: achieved
                .and_then(|a| cells.get(a).cloned())
                .filter(|a| !a.is_empty()),
            line: row.line,
        });
    }
}
