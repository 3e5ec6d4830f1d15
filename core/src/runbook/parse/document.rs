//! What belongs to the whole runbook: the timeline, the checklist, proposed probes
//! and the list of terminals.

use std::collections::{BTreeMap, HashMap, HashSet};

use super::content::cells;
use crate::runbook::frontmatter;
use crate::runbook::infer;
use crate::runbook::markdown::{Node, NodeKind};
use crate::runbook::model::*;

pub(super) fn timeline(tree: &Node) -> Vec<TimelineEntry> {
    let mut out = Vec::new();
    tree.walk(&mut |n| {
        if n.kind != NodeKind::Table {
            return;
        }
        for row in n.children.iter().skip(1) {
            let cells = cells(row);
            let Some((start, end)) = cells.first().and_then(|c| infer::time_range(c)) else {
                continue;
            };
            let label = cells.get(1).cloned().unwrap_or_default();
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
            .map(|c| &c.terminal)
            .chain(std::iter::once(&block.terminal));
        for name in names {
            if !name.is_empty() && seen.insert(name.clone()) {
                out.push(name.clone());
            }
        }
    }
    out
}
