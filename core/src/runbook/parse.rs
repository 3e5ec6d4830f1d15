//! Markdown -> [`Runbook`]: sections, steps, blocks and presenter content.
//!
//! The document is cut into heading sections. A section becomes a step when it holds
//! runnable blocks or presenter content; a section whose heading is a label ("Talking
//! Points", "Steps", "What Are We Showing?") belongs to its parent's step, and a
//! heading with a time budget ("Demo 1 (1 minute)") owns everything beneath it.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use super::attributes::parse_info;
use super::frontmatter;
use super::infer::{self, Label};
use super::markdown::{parse_tree, LineIndex, Node, NodeKind};
use super::model::*;
use super::render::step_html;
use super::shell;

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
    let sections = sections(&tree, lines.line_of(fm.body.len()));
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
    };
    match_timeline(&mut runbook);
    propose_probes(&tree, &mut runbook);
    runbook.terminals = terminals(&runbook.steps);
    runbook.diagnostics.sort_by_key(|d| d.line);
    runbook
}

/// A heading and the top-level nodes up to the next heading.
struct Section<'a> {
    heading: Option<&'a Node>,
    level: u8,
    raw_title: String,
    title: String,
    budget: Option<u32>,
    label: Option<Label>,
    parent: Option<usize>,
    nodes: Vec<&'a Node>,
    line: usize,
    end_line: usize,
}

fn sections(tree: &Node, last_line: usize) -> Vec<Section<'_>> {
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
        });
        open.push(out.len() - 1);
    }
    out
}

/// For each section, the section whose step holds its content (`None`: no step).
fn owners(sections: &[Section]) -> Vec<Option<usize>> {
    let title_section = document_title_section(sections);
    let mut owner: Vec<Option<usize>> = vec![None; sections.len()];
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

fn ancestors<'s>(sections: &'s [Section], i: usize) -> impl Iterator<Item = usize> + 's {
    std::iter::successors(sections[i].parent, move |&p| sections[p].parent)
}

/// The single level-1 heading that opens the document, if there is one.
fn document_title_section(sections: &[Section]) -> Option<usize> {
    let h1: Vec<usize> = (1..sections.len())
        .filter(|&i| sections[i].level == 1)
        .collect();
    (h1.len() == 1 && h1[0] == 1).then_some(1)
}

fn title(fm: &FrontMatter, sections: &[Section], path: Option<&Path>) -> String {
    if let Some(t) = &fm.title {
        return t.clone();
    }
    if let Some(s) = sections.iter().find(|s| s.level == 1) {
        return s.title.clone();
    }
    path.and_then(|p| p.file_stem())
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "Untitled runbook".to_string())
}

fn outline(
    sections: &[Section],
    owners: &[Option<usize>],
    step_of_section: &HashMap<usize, usize>,
) -> Vec<Heading> {
    sections
        .iter()
        .enumerate()
        .skip(1)
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

/// Presenter content gathered from one step's sections.
#[derive(Default)]
struct StepContent {
    blocks: Vec<CodeBlock>,
    substeps: Vec<SubStep>,
    notes: Vec<Note>,
    questions: Vec<QaCard>,
    expectations: Vec<Expectation>,
    pitch: Vec<String>,
    targets: Vec<MetricTarget>,
    links: Vec<Link>,
}

impl StepContent {
    fn is_presentable(&self) -> bool {
        self.blocks.iter().any(|b| b.kind != BlockKind::Shown)
            || !self.notes.is_empty()
            || !self.questions.is_empty()
            || !self.expectations.is_empty()
            || !self.pitch.is_empty()
            || !self.targets.is_empty()
    }
}

#[derive(Default)]
struct Builder<'a> {
    body: &'a str,
    steps: Vec<Step>,
    diagnostics: Vec<Diagnostic>,
    step_of_section: HashMap<usize, usize>,
}

impl<'a> Builder<'a> {
    fn diag(&mut self, severity: Severity, line: usize, message: impl Into<String>) {
        self.diagnostics.push(Diagnostic {
            severity,
            line,
            message: message.into(),
        });
    }

    fn build_steps(&mut self, sections: &[Section], owners: &[Option<usize>]) {
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

    fn make_step(
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
    fn section_markdown(&self, s: &Section, is_root: bool) -> String {
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

    fn gather_section(&mut self, s: &Section, c: &mut StepContent) {
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

    fn gather_node(
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

    fn gather_item(
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
    fn gather_text(
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
    fn apply_label(&mut self, label: Label, rest: &str, node: &Node, c: &mut StepContent) {
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

    fn code_block(
        &mut self,
        node: &Node,
        info: &str,
        fenced: bool,
        substep: Option<usize>,
    ) -> CodeBlock {
        // The raw fence line, not pulldown's info string: CommonMark applies backslash
        // escapes there, which would corrupt JSON attributes such as `"/\\d+/"`.
        let slice = self.body.get(node.range.clone()).unwrap_or("");
        let info = if fenced {
            raw_info(slice).unwrap_or(info)
        } else {
            info
        };
        let parsed = parse_info(info);
        for e in &parsed.errors {
            self.diag(Severity::Error, node.line, e.clone());
        }
        for key in &parsed.unknown {
            self.diag(
                Severity::Warning,
                node.line,
                format!("unknown cell attribute `{key}` (kept, ignored)"),
            );
        }
        if fenced && !fence_is_closed(slice) {
            self.diag(
                Severity::Error,
                node.line,
                "code fence opened here is never closed",
            );
        }
        let source = node.literal.clone();
        let mut block = CodeBlock {
            id: String::new(),
            line: node.line,
            end_line: node.end_line,
            lang: parsed.lang,
            info: info.to_string(),
            attributes: parsed.attributes,
            kind: BlockKind::Shown,
            terminal: String::new(),
            source,
            commands: Vec::new(),
            input: Vec::new(),
            background: false,
            substep,
            inferred: Vec::new(),
        };
        classify_block(&mut block, node.line + usize::from(fenced));
        block
    }

    /// Ids unique in the runbook; terminals resolved (input goes where the last
    /// program started; background blocks get a terminal of their own).
    fn assign_ids_and_terminals(&mut self) {
        let mut step_ids = HashSet::new();
        let mut block_ids = HashSet::new();
        let mut terminal_names = HashSet::from(["main".to_string()]);
        let mut last_terminal = "main".to_string();
        let mut duplicate_names = Vec::new();
        for step in &mut self.steps {
            step.id = unique(infer::slug(&step.title), &mut step_ids);
            for (n, block) in step.blocks.iter_mut().enumerate() {
                let wanted = block
                    .attributes
                    .name
                    .clone()
                    .or(block.attributes.id.clone());
                if let Some(name) = &wanted {
                    if block_ids.contains(name) {
                        duplicate_names.push((block.line, name.clone()));
                    }
                }
                let base = wanted.unwrap_or_else(|| format!("{}-{}", step.id, n + 1));
                block.id = unique(base, &mut block_ids);
                resolve_terminal(block, &mut last_terminal, &mut terminal_names);
            }
            for (i, sub) in step.substeps.iter_mut().enumerate() {
                sub.blocks = step
                    .blocks
                    .iter()
                    .enumerate()
                    .filter(|(_, b)| b.substep == Some(i))
                    .map(|(j, _)| j)
                    .collect();
            }
            let ids: Vec<String> = step.blocks.iter().map(|b| b.id.clone()).collect();
            step.html = step_html(&step.markdown, &ids);
        }
        for (line, name) in duplicate_names {
            self.diag(
                Severity::Warning,
                line,
                format!("cell name `{name}` is used more than once; renamed to stay unique"),
            );
        }
    }
}

fn unique(base: String, taken: &mut HashSet<String>) -> String {
    let mut id = base.clone();
    let mut n = 2;
    while taken.contains(&id) {
        id = format!("{base}-{n}");
        n += 1;
    }
    taken.insert(id.clone());
    id
}

fn resolve_terminal(
    block: &mut CodeBlock,
    last_terminal: &mut String,
    names: &mut HashSet<String>,
) {
    match block.kind {
        BlockKind::Shown => block.terminal = last_terminal.clone(),
        BlockKind::Input => {
            block.terminal = block
                .attributes
                .terminal
                .clone()
                .unwrap_or_else(|| last_terminal.clone());
            block.inferred.push(format!(
                "typed into the program running in terminal `{}`",
                block.terminal
            ));
        }
        BlockKind::Run => {
            let own = block.background && block.commands.iter().all(|c| c.terminal.is_empty());
            let default = match (&block.attributes.terminal, own) {
                (Some(t), _) => t.clone(),
                (None, true) => {
                    let base = block.attributes.name.clone().unwrap_or_else(|| {
                        block
                            .commands
                            .last()
                            .map_or_else(|| block.id.clone(), |c| shell::short_name(&c.text))
                    });
                    let name = unique(base, names);
                    block
                        .inferred
                        .push(format!("runs in its own terminal `{name}`"));
                    name
                }
                (None, false) => "main".to_string(),
            };
            for c in &mut block.commands {
                if c.terminal.is_empty() {
                    c.terminal = default.clone();
                }
            }
            block.terminal = block
                .commands
                .first()
                .map_or(default, |c| c.terminal.clone());
            *last_terminal = block
                .commands
                .last()
                .map_or(block.terminal.clone(), |c| c.terminal.clone());
        }
    }
}

const SHELL_LANGS: &[&str] = &[
    "bash",
    "sh",
    "shell",
    "zsh",
    "console",
    "shellscript",
    "shell-session",
    "terminal",
];
const PLAIN_LANGS: &[&str] = &[
    "text",
    "txt",
    "plain",
    "plaintext",
    "console",
    "shell-session",
];

/// Decides whether a block runs, is typed as input, or is only shown; fills its commands.
fn classify_block(block: &mut CodeBlock, first_line: usize) {
    let lang = block.lang.clone().unwrap_or_default();
    if block.attributes.ignore {
        block.inferred.push("`ignore` attribute: shown only".into());
        return;
    }
    if (lang.is_empty() || PLAIN_LANGS.contains(&lang.as_str())) && fill_input(block, first_line) {
        return;
    }
    let console = matches!(lang.as_str(), "console" | "shell-session" | "terminal");
    let stripped = shell::strip_prompts(&block.source, console || lang.is_empty());
    let code = match (&stripped, SHELL_LANGS.contains(&lang.as_str())) {
        (Some(code), _) => {
            block.inferred.push("`$ ` prompts stripped".into());
            code.clone()
        }
        (None, true) if !console => block.source.clone(),
        // `{"name": "x"}` with no language: a Runme cell, which runs in the shell.
        (None, false) if lang.is_empty() && block.info.trim_start().starts_with('{') => {
            block
                .inferred
                .push("cell attributes without a language: runs in the shell".into());
            block.source.clone()
        }
        _ => match &block.attributes.interpreter {
            Some(interpreter) => {
                block
                    .inferred
                    .push(format!("runs with interpreter `{interpreter}`"));
                format!(
                    "{interpreter} <<'CUEDECK_EOF'\n{}\nCUEDECK_EOF",
                    block.source.trim_end()
                )
            }
            None => return,
        },
    };
    block.kind = BlockKind::Run;
    fill_commands(block, &code, first_line);
}

/// `> ` lines (or `Client 1: > hello`): input for the running program.
fn fill_input(block: &mut CodeBlock, first_line: usize) -> bool {
    let mut input = Vec::new();
    for (i, line) in block.source.lines().enumerate() {
        let t = line.trim();
        if t.is_empty() {
            continue;
        }
        let (target, rest) = match t.split_once(": >") {
            Some((who, rest)) if who.len() <= 30 && !who.contains('>') => {
                (Some(who.trim().to_string()), Some(format!(">{rest}")))
            }
            _ => (None, Some(t.to_string())),
        };
        let Some(text) = rest.as_deref().and_then(|r| r.strip_prefix('>')) else {
            return false;
        };
        input.push(InputLine {
            text: text.strip_prefix(' ').unwrap_or(text).to_string(),
            target,
            line: first_line + i,
        });
    }
    if input.is_empty() {
        return false;
    }
    block.kind = BlockKind::Input;
    block.input = input;
    true
}

fn fill_commands(block: &mut CodeBlock, code: &str, first_line: usize) {
    let mut split_terminals = HashSet::new();
    let mut last_runs_on = None;
    for split in shell::split_commands(code) {
        if let Some(url) = shell::open_url(&split.text) {
            block.inferred.push(format!(
                "`open {url}` becomes a link opened outside the app"
            ));
            continue;
        }
        last_runs_on = shell::long_runner(&split.text);
        if let Some(t) = &split.terminal {
            split_terminals.insert(t.clone());
        }
        block.commands.push(Command {
            terminal: split.terminal.unwrap_or_default(),
            text: split.text,
            comment: split.comment,
            line: first_line + split.line,
        });
    }
    // A block that ends with a server or `watch` occupies its terminal until stopped.
    if let Some(why) = last_runs_on {
        if block.attributes.background.is_none() {
            block.inferred.push(format!("background: {why}"));
        }
        block.background = true;
    }
    if split_terminals.len() > 1 {
        block.inferred.push(format!(
            "split into {} terminals by `# Terminal N` comments",
            split_terminals.len()
        ));
        if block.attributes.background.is_none() {
            block.background = true;
        }
    }
    if let Some(explicit) = block.attributes.background {
        block.background = explicit;
    }
    if block.commands.is_empty() {
        block.kind = BlockKind::Shown;
    }
}

/// The info string as written on the opening fence line.
fn raw_info(slice: &str) -> Option<&str> {
    let first = slice.lines().next()?.trim_start();
    let fence_char = first.chars().next()?;
    Some(first.trim_start_matches(fence_char).trim())
}

fn fence_is_closed(slice: &str) -> bool {
    let mut lines = slice.lines();
    let Some(first) = lines.next() else {
        return false;
    };
    let open = first.trim_start();
    let fence_char = open.chars().next().unwrap_or('`');
    let len = open.chars().take_while(|&c| c == fence_char).count();
    lines.next_back().is_some_and(|last| {
        let t = last.trim();
        t.len() >= len && t.chars().all(|c| c == fence_char)
    })
}

/// "**Talking Points:**" or "**Expected Result**: text" -> (label, text after it).
fn bold_label(node: &Node) -> Option<(Label, String)> {
    let lead = node.inline.leading_strong.as_ref()?;
    let label = infer::label(lead)?;
    Some((label, strip_label(&node.inline.text, lead)))
}

fn strip_label(text: &str, label: &str) -> String {
    text.trim_start()
        .strip_prefix(label)
        .unwrap_or(text)
        .trim_start_matches([':', ' ', '-', '–', '—'])
        .trim()
        .to_string()
}

fn looks_like_pitch(text: &str) -> bool {
    let t = text.trim();
    t.starts_with('"') || t.starts_with('\u{201c}')
}

/// An item's text with its nested items as indented lines.
fn item_text(item: &Node) -> String {
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
fn question_card(item: &Node) -> Option<QaCard> {
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

fn cells(row: &Node) -> Vec<String> {
    row.children
        .iter()
        .map(|c| c.inline.text.trim().to_string())
        .collect()
}

/// Tables with a Target column: metric targets (and what was achieved).
fn gather_targets(table: &Node, c: &mut StepContent) {
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

fn timeline(tree: &Node) -> Vec<TimelineEntry> {
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
/// with no budget of its own takes the row's.
fn match_timeline(runbook: &mut Runbook) {
    for entry in &mut runbook.timeline {
        let wanted = infer::words(&entry.label);
        if wanted.is_empty() {
            continue;
        }
        let score = |step: &Step| {
            let have = infer::words(&step.title);
            let common = wanted.iter().filter(|w| have.contains(w)).count();
            (common as f64 / wanted.len() as f64, step.budget.is_some())
        };
        let best = runbook
            .steps
            .iter()
            .enumerate()
            .map(|(i, s)| (i, score(s)))
            .filter(|(_, (s, _))| *s >= 0.5)
            .fold(None::<(usize, (f64, bool))>, |best, cur| match best {
                Some(b) if (b.1 .0, b.1 .1) >= (cur.1 .0, cur.1 .1) => Some(b),
                _ => Some(cur),
            });
        if let Some((i, _)) = best {
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
}

fn checklist(tree: &Node) -> Vec<ChecklistItem> {
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
fn propose_probes(tree: &Node, runbook: &mut Runbook) {
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
                expect_status: 200,
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

fn terminals(steps: &[Step]) -> Vec<String> {
    let mut out = vec!["main".to_string()];
    for block in steps.iter().flat_map(|s| &s.blocks) {
        let names = block
            .commands
            .iter()
            .map(|c| &c.terminal)
            .chain(std::iter::once(&block.terminal));
        for name in names {
            if !name.is_empty() && !out.contains(name) {
                out.push(name.clone());
            }
        }
    }
    out
}
