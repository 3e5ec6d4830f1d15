//! Code blocks: whether they run, are typed as input, or are only shown; their
//! commands; unique ids; and the terminal each runs in.

use std::collections::{HashMap, HashSet};

use super::steps::Builder;
use crate::runbook::attributes::parse_info;
use crate::runbook::infer;
use crate::runbook::markdown::Node;
use crate::runbook::model::*;
use crate::runbook::render::step_html;
use crate::runbook::shell;

impl Builder<'_> {
    pub(super) fn code_block(
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
            wait_for: None,
        };
        classify_block(&mut block, node.line + usize::from(fenced));
        block
    }

    /// Ids unique in the runbook; terminals resolved (input goes where the last
    /// program started; background blocks get a terminal of their own).
    pub(super) fn assign_ids_and_terminals(&mut self) {
        let mut step_ids = UniqueNames::default();
        let mut block_ids = UniqueNames::default();
        let mut terminal_names = UniqueNames::with(&["main"]);
        let mut last_terminal = "main".to_string();
        let mut duplicate_names = Vec::new();
        for step in &mut self.steps {
            step.id = step_ids.claim(infer::slug(&step.title));
            for (n, block) in step.blocks.iter_mut().enumerate() {
                let wanted = block
                    .attributes
                    .name
                    .clone()
                    .or(block.attributes.id.clone());
                if let Some(name) = &wanted {
                    if block_ids.is_taken(name) {
                        duplicate_names.push((block.line, name.clone()));
                    }
                }
                let base = wanted.unwrap_or_else(|| format!("{}-{}", step.id, n + 1));
                block.id = block_ids.claim(base);
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

/// Names handed out once each: a taken `base` becomes `base-2`, `base-3`, ...
/// The next suffix is remembered per base, so many duplicates stay linear.
#[derive(Default)]
pub(super) struct UniqueNames {
    taken: HashSet<String>,
    next_suffix: HashMap<String, usize>,
}

impl UniqueNames {
    pub(super) fn with(names: &[&str]) -> Self {
        let mut u = Self::default();
        u.taken.extend(names.iter().map(|n| n.to_string()));
        u
    }

    pub(super) fn is_taken(&self, name: &str) -> bool {
        self.taken.contains(name)
    }

    pub(super) fn claim(&mut self, base: String) -> String {
        let mut id = base.clone();
        while self.taken.contains(&id) {
            let n = self.next_suffix.entry(base.clone()).or_insert(2);
            id = format!("{base}-{n}");
            *n += 1;
        }
        self.taken.insert(id.clone());
        id
    }
}

pub(super) fn resolve_terminal(
    block: &mut CodeBlock,
    last_terminal: &mut String,
    names: &mut UniqueNames,
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
                    let name = names.claim(base);
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

pub(super) const SHELL_LANGS: &[&str] = &[
    "bash",
    "sh",
    "shell",
    "zsh",
    "console",
    "shellscript",
    "shell-session",
    "terminal",
];
pub(super) const PLAIN_LANGS: &[&str] = &[
    "text",
    "txt",
    "plain",
    "plaintext",
    "console",
    "shell-session",
];

/// Decides whether a block runs, is typed as input, or is only shown; fills its commands.
pub(super) fn classify_block(block: &mut CodeBlock, first_line: usize) {
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
pub(super) fn fill_input(block: &mut CodeBlock, first_line: usize) -> bool {
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

pub(super) fn fill_commands(block: &mut CodeBlock, code: &str, first_line: usize) {
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
pub(super) fn raw_info(slice: &str) -> Option<&str> {
    let first = slice.lines().next()?.trim_start();
    let fence_char = first.chars().next()?;
    Some(first.trim_start_matches(fence_char).trim())
}

pub(super) fn fence_is_closed(slice: &str) -> bool {
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
