//! Code blocks: whether they run, are typed as input, or are only shown; their
//! commands; unique ids; and the terminal each runs in.

use std::collections::{HashMap, HashSet};

use super::output;
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
        let display = source.clone();
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
            hidden: Vec::new(),
            display,
            interactive: false,
            prompt: None,
            inferred_shell: false,
            not_sent: Vec::new(),
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
        infer_interactive(&mut self.steps);
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
            let first_target = block.input.iter().find_map(|l| l.target.clone());
            block.terminal = block
                .attributes
                .terminal
                .clone()
                .or(first_target)
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
            for c in block.commands.iter_mut().chain(&mut block.hidden) {
                if c.terminal.is_empty() {
                    c.terminal = default.clone();
                }
            }
            block.terminal = block
                .commands
                .first()
                .or(block.hidden.first())
                .map_or(default, |c| c.terminal.clone());
            // Untargeted input lines go to the last program that takes input: a
            // background server's terminal shows its log, nobody types into it.
            if !block.background || block.interactive {
                *last_terminal = block
                    .commands
                    .last()
                    .map_or(block.terminal.clone(), |c| c.terminal.clone());
            }
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

/// Decides whether a block runs, is typed as input, or is only shown; fills its
/// commands, hidden setup lines and display text.
pub(super) fn classify_block(block: &mut CodeBlock, first_line: usize) {
    let lang = block.lang.clone().unwrap_or_default();
    if block.attributes.ignore {
        block.inferred.push("`ignore` attribute: shown only".into());
        return;
    }
    let plain = lang.is_empty() || PLAIN_LANGS.contains(&lang.as_str());
    if (plain || block.attributes.terminal.is_some()) && fill_input(block, first_line, plain) {
        return;
    }
    // Hidden setup lines (`#| cmd`) are read apart from what is shown and typed.
    let source = block.source.clone();
    let source_lines: Vec<&str> = source.lines().collect();
    let is_hidden: Vec<bool> = source_lines
        .iter()
        .map(|l| shell::hidden_line(l).is_some())
        .collect();
    let visible: Vec<usize> = (0..source_lines.len()).filter(|&i| !is_hidden[i]).collect();
    let visible_text = visible
        .iter()
        .map(|&i| source_lines[i])
        .collect::<Vec<_>>()
        .join("\n");
    let console = matches!(lang.as_str(), "console" | "shell-session" | "terminal");
    let stripped = shell::strip_prompts(&visible_text, console || lang.is_empty());
    let code = match (&stripped, SHELL_LANGS.contains(&lang.as_str())) {
        (Some(code), _) => {
            block.inferred.push("`$ ` prompts stripped".into());
            code.clone()
        }
        (None, true) if !console => without_output(block, &visible_text, &visible, first_line),
        (None, false) if lang.is_empty() && block.info.trim().is_empty() => {
            match output::untagged_shell(&visible_text) {
                Some(programs) => {
                    inferred_shell(block, &visible_text, &visible, first_line, &programs)
                }
                None => return,
            }
        }
        // `{"name": "x"}` with no language: a Runme cell, which runs in the shell.
        (None, false) if lang.is_empty() && block.info.trim_start().starts_with('{') => {
            block
                .inferred
                .push("cell attributes without a language: runs in the shell".into());
            visible_text
        }
        _ => match &block.attributes.interpreter {
            Some(interpreter) => {
                block
                    .inferred
                    .push(format!("runs with interpreter `{interpreter}`"));
                let code = format!(
                    "{interpreter} <<'CUEDECK_EOF'\n{}\nCUEDECK_EOF",
                    block.source.trim_end()
                );
                block.kind = BlockKind::Run;
                fill_commands(block, &code, first_line, None);
                return;
            }
            None => return,
        },
    };
    block.kind = BlockKind::Run;
    fill_commands(block, &code, first_line, Some(&visible));
    if visible.len() < source_lines.len() {
        fill_hidden(block, &source_lines, &is_hidden, first_line);
        let mut display = visible
            .iter()
            .map(|&i| source_lines[i])
            .collect::<Vec<_>>()
            .join("\n");
        if !visible.is_empty() && source.ends_with('\n') {
            display.push('\n');
        }
        block.display = display;
    }
    if block.commands.is_empty() && block.hidden.is_empty() {
        block.kind = BlockKind::Shown;
        // Say why, unless the lines went elsewhere (`open URL` became links).
        let only_comments = block.source.lines().all(|l| {
            let t = l.trim();
            t.is_empty() || t.starts_with('#') || t.starts_with("//")
        });
        if only_comments || !block.not_sent.is_empty() {
            block
                .inferred
                .push("nothing to run (only comments or output): shown, not run".into());
        }
    }
}

/// A shell block's code with the output pasted after its commands blanked (kept as
/// empty lines, so line numbers hold); those lines are shown, never sent.
fn without_output(
    block: &mut CodeBlock,
    visible_text: &str,
    visible: &[usize],
    first_line: usize,
) -> String {
    let lines: Vec<&str> = visible_text.lines().collect();
    // Some lines at a `$ ` prompt, some not: the rest is what they printed.
    let prompted = lines.iter().any(|l| l.trim_start().starts_with("$ "));
    let (code, output): (String, Vec<usize>) = match shell::strip_prompts(visible_text, true) {
        Some(code) if prompted => {
            let kept: Vec<&str> = code.lines().collect();
            let dropped = (0..lines.len())
                .filter(|&i| {
                    !lines[i].trim().is_empty() && kept.get(i).is_none_or(|k| k.is_empty())
                })
                .collect();
            block.inferred.push("`$ ` prompts stripped".into());
            (code, dropped)
        }
        _ => {
            let output = output::pasted_output(visible_text);
            let code = blank_lines(&lines, &output);
            (code, output)
        }
    };
    if !output.is_empty() {
        block
            .not_sent
            .extend(output.iter().map(|&i| first_line + map_line(visible, i)));
        block.inferred.push(format!(
            "{} line{} of pasted output shown, not run",
            output.len(),
            if output.len() == 1 { "" } else { "s" }
        ));
    }
    code
}

/// An untagged block that reads as shell runs, badged "inferred shell"; its `//`
/// lines are notes, shown and not sent.
fn inferred_shell(
    block: &mut CodeBlock,
    visible_text: &str,
    visible: &[usize],
    first_line: usize,
    programs: &[String],
) -> String {
    let lines: Vec<&str> = visible_text.lines().collect();
    let notes: Vec<usize> = (0..lines.len())
        .filter(|&i| output::is_slash_comment(lines[i]))
        .collect();
    block.inferred_shell = true;
    block.inferred.push(format!(
        "inferred shell: no language, and every command starts with a program ({})",
        programs
            .iter()
            .map(|p| format!("`{p}`"))
            .collect::<Vec<_>>()
            .join(", ")
    ));
    if !notes.is_empty() {
        block
            .not_sent
            .extend(notes.iter().map(|&i| first_line + map_line(visible, i)));
        block
            .inferred
            .push("`//` lines are notes: shown, not sent".into());
    }
    blank_lines(&lines, &notes)
}

fn blank_lines(lines: &[&str], blank: &[usize]) -> String {
    let mut mask = vec![false; lines.len()];
    for &i in blank {
        if let Some(m) = mask.get_mut(i) {
            *m = true;
        }
    }
    lines
        .iter()
        .zip(mask)
        .map(|(l, blanked)| if blanked { "" } else { *l })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The source line (0-based in the block) of line `i` of the visible text.
fn map_line(visible: &[usize], i: usize) -> usize {
    visible.get(i).copied().unwrap_or(i)
}

/// The hidden setup lines as commands: each in the terminal of the `# Terminal N` part
/// it sits in, heredocs and continuations across hidden lines kept whole.
fn fill_hidden(
    block: &mut CodeBlock,
    source_lines: &[&str],
    is_hidden: &[bool],
    first_line: usize,
) {
    let mut lines = Vec::new();
    let mut map = Vec::new();
    for (i, line) in source_lines.iter().enumerate() {
        let text = if is_hidden[i] {
            shell::hidden_line(line)
        } else {
            shell::terminal_marker(line).map(|_| *line)
        };
        if let Some(text) = text {
            lines.push(text);
            map.push(i);
        }
    }
    for split in shell::split_commands(&lines.join("\n")) {
        block.hidden.push(Command {
            terminal: split.terminal.unwrap_or_default(),
            ports: shell::listen_ports(&split.text),
            text: split.text,
            comment: split.comment,
            line: first_line + map.get(split.line).copied().unwrap_or(split.line),
        });
    }
    let count = is_hidden.iter().filter(|h| **h).count();
    block.inferred.push(format!(
        "{count} hidden setup line{} (`#|`) run first, unseen",
        if count == 1 { "" } else { "s" }
    ));
}

/// One line of an input block, read.
struct ReadLine {
    target: Option<String>,
    /// Written after `> `.
    prompted: bool,
    text: String,
    control: Option<char>,
}

/// `> hello`, `Client 1: > hello`, `^C`, `Ctrl+C`, `> ^D`, `Client 2: Ctrl-C`.
fn read_input_line(t: &str) -> Option<ReadLine> {
    let (target, rest) = match t.split_once(':') {
        Some((who, rest))
            if !t.starts_with('>')
                && !who.trim().is_empty()
                && who.len() <= 30
                && !who.contains(['>', '^', '`']) =>
        {
            let rest = rest.trim_start();
            if rest.starts_with('>') || control_key(rest).is_some() {
                (Some(who.trim().to_string()), rest)
            } else {
                (None, t)
            }
        }
        _ => (None, t),
    };
    if let Some(text) = rest.strip_prefix('>') {
        let text = text.strip_prefix(' ').unwrap_or(text);
        let control = control_key(text.trim());
        return Some(ReadLine {
            target,
            prompted: true,
            text: if control.is_some() {
                String::new()
            } else {
                text.to_string()
            },
            control,
        });
    }
    control_key(rest).map(|key| ReadLine {
        target,
        prompted: false,
        text: String::new(),
        control: Some(key),
    })
}

/// `^C`, `^\`, `Ctrl+C`, `ctrl-d`: the control key, as a lowercase letter or `\`.
pub(super) fn control_key(text: &str) -> Option<char> {
    let t = text.trim();
    let key = match t.strip_prefix('^') {
        Some(k) => k,
        None => {
            let lower = t.get(..5)?.to_ascii_lowercase();
            if lower != "ctrl+" && lower != "ctrl-" {
                return None;
            }
            &t[5..]
        }
    };
    let mut chars = key.chars();
    let c = chars.next()?;
    if chars.next().is_some() {
        return None;
    }
    match c {
        'a'..='z' | 'A'..='Z' => Some(c.to_ascii_lowercase()),
        '\\' => Some('\\'),
        _ => None,
    }
}

/// `> ` lines (or `Client 1: > hello`) and control keys (`^C`): input for the running
/// program. Outside plain fences (`plain` false), only a block of control keys is.
pub(super) fn fill_input(block: &mut CodeBlock, first_line: usize, plain: bool) -> bool {
    let mut input = Vec::new();
    let mut prompted = false;
    for (i, line) in block.source.lines().enumerate() {
        let t = line.trim();
        if t.is_empty() {
            continue;
        }
        let Some(read) = read_input_line(t) else {
            return false;
        };
        if read.prompted && !plain {
            return false;
        }
        prompted |= read.prompted;
        input.push(InputLine {
            text: read.text,
            target: read.target,
            line: first_line + i,
            control: read.control,
        });
    }
    if input.is_empty() {
        return false;
    }
    block.kind = BlockKind::Input;
    block.input = input;
    block.prompt = prompted.then(|| ">".to_string());
    true
}

/// Fills the block's commands from `code`; `lines` maps each line of `code` to its
/// line in the block's source (`None`: the same line).
pub(super) fn fill_commands(
    block: &mut CodeBlock,
    code: &str,
    first_line: usize,
    lines: Option<&[usize]>,
) {
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
        let line = lines.map_or(split.line, |map| {
            map.get(split.line).copied().unwrap_or(split.line)
        });
        block.commands.push(Command {
            terminal: split.terminal.unwrap_or_default(),
            ports: shell::listen_ports(&split.text),
            text: split.text,
            comment: split.comment,
            line: first_line + line,
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
    if let Some(port) = block.attributes.port {
        add_port_attribute(block, port);
    }
}

/// The `port` attribute: where the block's long-runner listens. It goes to every
/// command that runs until stopped, or to the last command when none is recognised.
fn add_port_attribute(block: &mut CodeBlock, port: u16) {
    let mut runners: Vec<usize> = (0..block.commands.len())
        .filter(|&i| shell::long_runner(&block.commands[i].text).is_some())
        .collect();
    if runners.is_empty() {
        runners.extend(block.commands.len().checked_sub(1));
    }
    for i in runners {
        let ports = &mut block.commands[i].ports;
        if !ports.contains(&port) {
            ports.insert(0, port);
        }
    }
}

/// Which blocks are interactive: they start a program (a client, a REPL) that waits
/// for the presenter's input and keeps its terminal. The `interactive` attribute
/// decides when given (only `true` makes a block interactive: Runme writes the
/// attribute on ordinary cells); else the next runnable or input block (in the step,
/// or first in the next step) types into one of its terminals, or its last command
/// (of any terminal part) is a known interactive program. An interactive block is not
/// a background one unless its `background` attribute says so.
pub(super) fn infer_interactive(steps: &mut [Step]) {
    let order: Vec<(usize, usize)> = steps
        .iter()
        .enumerate()
        .flat_map(|(s, step)| {
            step.blocks
                .iter()
                .enumerate()
                .filter(|(_, b)| b.kind != BlockKind::Shown)
                .map(move |(i, _)| (s, i))
        })
        .collect();
    for (k, &(s, i)) in order.iter().enumerate() {
        if steps[s].blocks[i].kind != BlockKind::Run {
            continue;
        }
        let next = order
            .get(k + 1)
            .filter(|(ns, _)| *ns == s || *ns == s + 1)
            .map(|&(ns, ni)| &steps[ns].blocks[ni]);
        let block = &steps[s].blocks[i];
        let reason = match block.attributes.interactive {
            Some(false) => None,
            Some(true) => Some("`interactive` attribute".to_string()),
            None => types_into(block, next)
                .map(|t| format!("the next block types into terminal `{t}`"))
                .or_else(|| interactive_part(block).map(str::to_string)),
        };
        let Some(reason) = reason else { continue };
        let block = &mut steps[s].blocks[i];
        block.interactive = true;
        block.inferred.push(format!("interactive: {reason}"));
        if block.attributes.background.is_none() && block.background {
            block.background = false;
            block.inferred.retain(|r| !r.starts_with("background: "));
            block
                .inferred
                .push("not background: the program runs in its terminal, waiting for input".into());
        }
    }
}

/// The terminal `next` types into, when it is an input block for one of `block`'s
/// terminals (an input block naming no terminal types where `block` left off).
fn types_into(block: &CodeBlock, next: Option<&CodeBlock>) -> Option<String> {
    let next = next.filter(|n| n.kind == BlockKind::Input)?;
    let mut own: Vec<&str> = block
        .commands
        .iter()
        .map(|c| c.terminal.as_str())
        .filter(|t| !t.is_empty())
        .chain(block.attributes.terminal.as_deref())
        .collect();
    if own.is_empty() {
        own.push("main");
    }
    let targets: Vec<&str> = next
        .input
        .iter()
        .filter_map(|l| l.target.as_deref())
        .collect();
    match (&next.attributes.terminal, targets.first()) {
        (Some(t), _) => own.contains(&t.as_str()).then(|| t.clone()),
        (None, Some(_)) => targets
            .iter()
            .find(|t| own.contains(t))
            .map(|t| t.to_string()),
        // Untargeted input after a block said to be background goes to the program
        // that takes input (see `resolve_terminal`), not to the server's log.
        (None, None) if block.attributes.background == Some(true) => None,
        (None, None) => block
            .commands
            .last()
            .map(|c| c.terminal.as_str())
            .filter(|t| !t.is_empty())
            .or(block.attributes.terminal.as_deref())
            .or(Some("main"))
            .map(str::to_string),
    }
}

/// Why the last command of one of the block's terminal parts waits for input, if one does.
fn interactive_part(block: &CodeBlock) -> Option<&'static str> {
    let mut last_of_part: Vec<&Command> = Vec::new();
    for c in &block.commands {
        match last_of_part.iter_mut().find(|l| l.terminal == c.terminal) {
            Some(l) => *l = c,
            None => last_of_part.push(c),
        }
    }
    last_of_part
        .iter()
        .find_map(|c| shell::interactive_program(&c.text))
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
        // In a blockquote the closing fence carries the quote's `>` markers.
        let t = last.trim().trim_start_matches(['>', ' ', '\t']);
        t.len() >= len && t.chars().all(|c| c == fence_char)
    })
}
