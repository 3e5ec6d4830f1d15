//! What belongs to the whole runbook: the timeline, the checklist, proposed probes
//! and the list of terminals.

use std::collections::{BTreeMap, HashMap, HashSet};

use super::content::cells;
use crate::runbook::frontmatter;
use crate::runbook::infer;
use crate::runbook::markdown::{Node, NodeKind};
use crate::runbook::model::*;

/// Rows of timeline tables: a clock range ("0:00-1:00") in the first column, or in
/// a column headed like "Time" / "Duration" ("Timing Guide", agenda tables), where a
/// duration ("5 min", "2-3 min") runs on from the row before.
pub(super) fn timeline(tree: &Node) -> Vec<TimelineEntry> {
    let mut out = Vec::new();
    tree.walk(&mut |n| {
        if n.kind != NodeKind::Table {
            return;
        }
        let header = n.children.first().map(cells).unwrap_or_default();
        let time_column = header.iter().position(|h| is_time_header(h));
        let column = time_column.unwrap_or(0);
        let label_column = if column == 0 { 1 } else { 0 };
        let mut clock = 0u32;
        for row in n.children.iter().skip(1) {
            let cells = cells(row);
            let Some(cell) = cells.get(column) else {
                continue;
            };
            let span = infer::time_range(cell).or_else(|| {
                // An agenda's durations; "12 ms" in a results table is no budget.
                let seconds = time_column
                    .and(infer::duration_seconds(cell))
                    .filter(|s| *s >= MIN_AGENDA_SECONDS)?;
                Some((clock, clock.saturating_add(seconds)))
            });
            let Some((start, end)) = span else { continue };
            clock = end;
            let label = cells.get(label_column).cloned().unwrap_or_default();
            out.push(TimelineEntry {
                start_seconds: start,
                end_seconds: end,
                label: label.trim_matches(['"', '*', ' ']).to_string(),
                line: row.line,
                step: None,
            });
        }
    });
    out
}

const MIN_AGENDA_SECONDS: u32 = 10;

fn is_time_header(text: &str) -> bool {
    let t = text.trim().trim_matches('*').trim().to_ascii_lowercase();
    [
        "time", "duration", "timing", "minutes", "length", "min", "when",
    ]
    .contains(&t.as_str())
}

/// How many code blocks the Markdown holds: every one pulldown-cmark reports
/// becomes a node of the tree.
pub(super) fn code_blocks(tree: &Node) -> usize {
    let mut n = 0;
    tree.walk(&mut |node| n += usize::from(matches!(node.kind, NodeKind::Code { .. })));
    n
}

/// Points each checklist item that has a code block under it at that block, whose
/// commands check it (a nested item's code is its own, not its parent's).
pub(super) fn link_checklist(tree: &Node, runbook: &mut Runbook) {
    let mut code_lines: Vec<Option<usize>> = Vec::new();
    tree.walk(&mut |n| {
        if n.task.is_some() {
            code_lines.push(first_own_code(n));
        }
    });
    let ids: HashMap<usize, &str> = runbook
        .steps
        .iter()
        .flat_map(|s| &s.blocks)
        .map(|b| (b.line, b.id.as_str()))
        .collect();
    for (item, line) in runbook.checklist.iter_mut().zip(code_lines) {
        item.block = line.and_then(|l| ids.get(&l)).map(|id| id.to_string());
    }
}

fn first_own_code(item: &Node) -> Option<usize> {
    item.children.iter().find_map(|child| {
        if matches!(child.kind, NodeKind::Code { .. }) {
            return Some(child.line);
        }
        if child.task.is_some() {
            return None;
        }
        first_own_code(child)
    })
}

/// "Terminal 1: API server" items (or paragraphs) in prose: named terminals the
/// author plans, as `# Terminal 1` comments in blocks name them.
pub(super) fn proposed_terminals(tree: &Node) -> Vec<ProposedTerminal> {
    let mut out: Vec<ProposedTerminal> = Vec::new();
    tree.walk(&mut |n| {
        if !matches!(n.kind, NodeKind::Item | NodeKind::Paragraph) {
            return;
        }
        let lead = n.lead();
        let text = lead.text.trim();
        let Some((name, purpose)) = infer::terminal_role(text) else {
            return;
        };
        if !out.iter().any(|t| t.name == name) {
            out.push(ProposedTerminal {
                name,
                purpose,
                line: n.line,
            });
        }
    });
    out
}

/// Matches each timeline row to the step whose title shares the most words; a step
/// with no budget of its own takes the row's. Rows look among the steps of their own
/// level-1 part first (a runbook of several parts has a timeline per part), then
/// among all steps, so the work stays linear in the runbook's size.
pub(super) fn match_timeline(runbook: &mut Runbook) {
    let part_starts: Vec<usize> = runbook
        .outline
        .iter()
        .filter(|h| h.level == 1)
        .map(|h| h.line)
        .collect();
    let part_of = |line: usize| part_starts.partition_point(|&start| start <= line);
    let step_words: Vec<Vec<String>> = runbook
        .steps
        .iter()
        .map(|s| infer::words(&s.title))
        .collect();
    let mut steps_by_part: HashMap<usize, Vec<usize>> = HashMap::new();
    for (i, step) in runbook.steps.iter().enumerate() {
        steps_by_part.entry(part_of(step.line)).or_default().push(i);
    }
    let all: Vec<usize> = (0..runbook.steps.len()).collect();
    for entry in &mut runbook.timeline {
        let wanted = infer::words(&entry.label);
        if wanted.is_empty() {
            continue;
        }
        let best_among = |candidates: &[usize]| {
            let mut best: Option<(usize, (f64, bool))> = None;
            for &i in candidates {
                let common = wanted.iter().filter(|w| step_words[i].contains(w)).count();
                let score = (
                    common as f64 / wanted.len() as f64,
                    runbook.steps[i].budget.is_some(),
                );
                // Ties go to the earlier step.
                if score.0 >= 0.5 && best.is_none_or(|(_, b)| score > b) {
                    best = Some((i, score));
                }
            }
            best.map(|(i, _)| i)
        };
        let own_part = steps_by_part
            .get(&part_of(entry.line))
            .map_or(&[][..], Vec::as_slice);
        let Some(i) = best_among(own_part).or_else(|| best_among(&all)) else {
            continue;
        };
        let step = &mut runbook.steps[i];
        entry.step = Some(step.id.clone());
        if step.budget.is_none() {
            step.budget = Some(Budget {
                seconds: entry.end_seconds - entry.start_seconds,
                source: BudgetSource::Timeline,
                line: entry.line,
            });
        }
    }
}

pub(super) fn checklist(tree: &Node) -> Vec<ChecklistItem> {
    let mut out = Vec::new();
    tree.walk(&mut |n| {
        let Some(checked) = n.task else { return };
        let text = n.lead().text.trim().to_string();
        let auto = infer::port_in(&text)
            .map(AutoCheck::Port)
            .or_else(|| infer::tool_in(&text).map(AutoCheck::Tool));
        out.push(ChecklistItem {
            text,
            checked,
            line: n.line,
            auto,
            block: None,
        });
    });
    out
}

/// Proposes a health probe per local port (its best health-looking URL) and a metrics
/// source per metrics URL, unless front matter already declares them.
pub(super) fn propose_probes(tree: &Node, runbook: &mut Runbook) {
    let mut health: BTreeMap<u16, (infer::Endpoint, String, usize)> = BTreeMap::new();
    let mut metrics: Vec<(String, usize)> = Vec::new();
    tree.walk(&mut |n| {
        let texts = [n.literal.as_str(), n.inline.text.as_str()];
        let links = n.inline.links.iter().map(String::as_str);
        for text in texts.into_iter().chain(links) {
            for url in infer::local_urls(text) {
                match infer::endpoint_kind(&url.path) {
                    Some(infer::Endpoint::Metrics)
                        if !metrics.iter().any(|(u, _)| *u == url.url) =>
                    {
                        metrics.push((url.url, n.line));
                    }
                    Some(infer::Endpoint::Metrics) => {}
                    Some(kind) => {
                        let better = health.get(&url.port).is_none_or(|(k, _, _)| kind < *k);
                        if better {
                            health.insert(url.port, (kind, url.url, n.line));
                        }
                    }
                    None => {}
                }
            }
        }
    });
    let declared: HashSet<String> = runbook
        .services
        .iter()
        .map(|s| s.url.clone())
        .chain(runbook.metrics.iter().map(|m| m.url.clone()))
        .collect();
    for (port, (_, url, line)) in health {
        if !declared.contains(&url) {
            runbook.services.push(ServiceProbe {
                name: format!("localhost:{port}"),
                url,
                interval_ms: frontmatter::DEFAULT_INTERVAL_MS,
                timeout_ms: frontmatter::DEFAULT_TIMEOUT_MS,
                slow_ms: frontmatter::DEFAULT_SLOW_MS,
                expect_status: 200,
                expect_json: None,
                origin: Origin::Proposed,
                line,
            });
        }
    }
    for (url, line) in metrics {
        if declared.contains(&url) {
            continue;
        }
        let format = if url.trim_end_matches('/').ends_with("/metrics") {
            MetricFormat::Prometheus
        } else {
            MetricFormat::Json
        };
        let name = infer::local_urls(&url).first().map_or_else(
            || url.clone(),
            |u| format!("localhost:{}{}", u.port, u.path),
        );
        runbook.metrics.push(MetricSource {
            name,
            url,
            format,
            series: Vec::new(),
            interval_ms: frontmatter::DEFAULT_INTERVAL_MS,
            origin: Origin::Proposed,
            line,
        });
    }
}

pub(super) fn terminals(steps: &[Step]) -> Vec<String> {
    let mut out = vec!["main".to_string()];
    let mut seen: HashSet<String> = out.iter().cloned().collect();
    for block in steps.iter().flat_map(|s| &s.blocks) {
        let names = block
            .commands
            .iter()
            .chain(&block.hidden)
            .map(|c| &c.terminal)
            .chain(std::iter::once(&block.terminal))
            .chain(block.input.iter().filter_map(|l| l.target.as_ref()));
        for name in names {
            if !name.is_empty() && seen.insert(name.clone()) {
                out.push(name.clone());
            }
        }
    }
    out
}
