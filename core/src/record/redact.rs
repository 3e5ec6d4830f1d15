//! Secrets marked for redaction (front matter `redact: [regex, ...]`) are masked
//! before output reaches a recording: each character of a match becomes `*`, so the
//! terminal's layout replays unchanged. The live audience view streams through
//! [`super::live_redact`]; [`redact_bytes`] masks a one-off screen redraw.
//!
//! # What is matched
//!
//! Patterns match the *visible* text, not the raw bytes: escape sequences (CSI
//! `ESC [ ... final`, two-byte `ESC x` and `ESC ( B`-like ones) and C0 controls other
//! than `\n` and `\t` are left out before matching, so a secret that a program drew
//! in two colours (`grep --color=always` wraps the part it found in SGR sequences)
//! is matched whole. Each character of a match is masked where it stands in the
//! output; the escape sequences between them, line endings and tabs in a match, and
//! everything outside the matches, are kept byte for byte.
//!
//! The text of a string sequence (an OSC window title or hyperlink after its command
//! number, and a DCS, SOS, PM or APC payload) is matched on its own and masked too,
//! since a terminal can show it.
//!
//! A carriage return not followed by `\n` moves the cursor back over what the line
//! already shows, and a backspace moves it back one. Each drawing of a line (the
//! text between two such returns) is matched on its own, so a secret drawn and then
//! overwritten is masked; and the line as the screen ends up showing it, each column
//! holding the character drawn there last, is matched too, so a secret that only
//! comes together through an overwrite (`printf 'xx-abc\rsk'` shows `sk-abc`) is
//! masked in every character that drew it. Columns are counted in characters from
//! the start of the line: a line the terminal wrapped, or wide characters, can put a
//! later drawing elsewhere than counted (then the drawings are still matched each on
//! its own). The `\r` of a `\r\n` line ending is left in the text matched, as in the
//! raw output.

use std::borrow::Cow;
use std::ops::Range;
use std::sync::Arc;

use regex::Regex;
use regex_automata::hybrid::dfa::{Cache, DFA};
use regex_automata::{Anchored, Input};

use crate::runbook::{CodeBlock, Runbook};

/// The pattern a block's `"redact": true` stands for: every visible character of
/// every line it prints. In a block's list it means the same: it masks that block's
/// output only, never the whole runbook's.
pub const REDACT_ALL: &str = ".+";

/// How far back in an unfinished line a match under way is looked for
/// ([`Redactor::match_under_way`]): secrets are shorter.
const UNDER_WAY_WINDOW: usize = 256;

/// The runbook's redaction patterns, compiled. Patterns that do not compile are
/// already lint errors; here they are skipped.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    patterns: Vec<Regex>,
    /// For each pattern, its lazy DFA anchored at the start, to tell the beginning
    /// of a match; `None` for a pattern the DFA cannot run (a Unicode `\b` on
    /// non-ASCII text), whose beginnings are then not held.
    beginnings: Vec<Option<Arc<DFA>>>,
}

impl Redactor {
    pub fn new(patterns: &[String]) -> Self {
        let patterns: Vec<Regex> = patterns.iter().filter_map(|p| Regex::new(p).ok()).collect();
        let beginnings = patterns
            .iter()
            .map(|re| beginning_dfa(re.as_str()))
            .collect();
        Self {
            patterns,
            beginnings,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }

    /// The patterns that apply to everything the runbook's terminals print, and to
    /// every artifact made from them: the front matter's `redact`, and every block's
    /// `redact` list. A list names secrets; masking them wherever they show up (a
    /// later step printing the same token, a snapshot, a bundle) is never wrong, and
    /// a recording already written cannot tell which block printed what.
    /// [`REDACT_ALL`] is left out: it masks only its own block's output
    /// ([`BlockScope`]).
    pub fn for_runbook(runbook: &Runbook) -> Self {
        let blocks = runbook
            .steps
            .iter()
            .flat_map(|s| &s.blocks)
            .flat_map(|b| &b.attributes.redact);
        let patterns: Vec<String> = runbook
            .front_matter
            .redact
            .iter()
            .chain(blocks)
            .filter(|p| *p != REDACT_ALL)
            .fold(Vec::new(), |mut all, p| {
                if !all.contains(p) {
                    all.push(p.clone());
                }
                all
            });
        Self::new(&patterns)
    }

    /// What masks what the presenter's window shows of the runbook, its probes and
    /// its checks: the runbook's patterns, unless the front matter says
    /// `redact_presenter: false`. `None` when there is nothing to mask there.
    pub fn for_presenter(runbook: &Runbook) -> Option<Self> {
        let redactor = Self::for_runbook(runbook);
        (runbook.front_matter.redacts_presenter() && !redactor.is_empty()).then_some(redactor)
    }

    /// What masks whatever `step` led to (its manifest message, its snapshots): the
    /// runbook's patterns, and everything if one of its blocks is masked whole.
    pub fn for_step(runbook: &Runbook, step: &crate::runbook::Step) -> Self {
        let base = Self::for_runbook(runbook);
        let all = step
            .blocks
            .iter()
            .any(|b| b.attributes.redact.iter().any(|p| p == REDACT_ALL));
        if all {
            base.union(&Self::new(&[REDACT_ALL.to_string()]))
        } else {
            base
        }
    }

    /// `text` redacted, owned.
    pub fn redact_string(&self, text: &str) -> String {
        self.redact(text).into_owned()
    }

    /// Whether anything in `runbook` asks for redaction: a view or a recording of
    /// its terminals must then go through a redactor, even one that starts empty
    /// (a `"redact": true` block adds to it while it runs).
    pub fn wanted_by(runbook: &Runbook) -> bool {
        !runbook.front_matter.redact.is_empty()
            || runbook
                .steps
                .iter()
                .flat_map(|s| &s.blocks)
                .any(|b| !b.attributes.redact.is_empty())
    }

    /// `self`'s patterns, then `other`'s.
    pub fn union(&self, other: &Redactor) -> Redactor {
        let mut all = self.clone();
        for (re, dfa) in other.patterns.iter().zip(&other.beginnings) {
            if !all.patterns.iter().any(|p| p.as_str() == re.as_str()) {
                all.patterns.push(re.clone());
                all.beginnings.push(dfa.clone());
            }
        }
        all
    }

    /// Where a match may be under way at the end of `line`, the unfinished end of
    /// the output: the byte offset of the earliest character from which the text
    /// the cursor's drawing shows, to the end, is not a match yet but could still
    /// grow into one (`pass: hunt` for the pattern `hunter2`). A live view holds the line back from there
    /// while the output pauses, so a secret typed or printed in pieces is not shown
    /// by its beginning before it is whole. Looked for in the last
    /// [`UNDER_WAY_WINDOW`] bytes.
    pub fn match_under_way(&self, line: &str) -> Option<usize> {
        if self.beginnings.iter().all(Option::is_none) || line.is_empty() {
            return None;
        }
        let (screen, _, _) = visible(line);
        let run = screen.runs().last()?;
        let text = &screen.text[run.clone()];
        let mut from = text.len().saturating_sub(UNDER_WAY_WINDOW);
        while !text.is_char_boundary(from) {
            from += 1;
        }
        let mut dfas: Vec<(&DFA, Cache)> = self
            .beginnings
            .iter()
            .flatten()
            .map(|dfa| (dfa.as_ref(), dfa.create_cache()))
            .collect();
        text[from..].char_indices().find_map(|(k, _)| {
            let rest = &text[from + k..];
            dfas.iter_mut()
                .any(|(dfa, cache)| may_grow_into_a_match(dfa, cache, rest))
                .then(|| screen.origin[run.start + from + k])
        })
    }

    /// `text` with every character of every match in its visible text masked as `*`
    /// (see the [module docs](self)); borrowed when nothing matched. The result has
    /// as many characters as `text`, the `n`th standing for the `n`th of `text`.
    pub fn redact<'a>(&self, text: &'a str) -> Cow<'a, str> {
        if self.patterns.is_empty()
            || (is_plain(text) && !self.patterns.iter().any(|re| re.is_match(text)))
        {
            return Cow::Borrowed(text);
        }
        let (screen, strings, composed) = visible(text);
        // Indexed by byte offset in `text`: whether the character starting there is masked.
        let mut masked = vec![false; text.len()];
        let mut any = false;
        for v in [&screen, &strings, &composed] {
            for run in v.runs() {
                let run_text = &v.text[run.clone()];
                for re in &self.patterns {
                    for m in re.find_iter(run_text) {
                        for (k, c) in run_text[m.range()].char_indices() {
                            if !matches!(c, '\n' | '\r' | '\t') {
                                masked[v.origin[run.start + m.start() + k]] = true;
                                any = true;
                            }
                        }
                    }
                }
            }
        }
        if !any {
            return Cow::Borrowed(text);
        }
        let out = text
            .char_indices()
            .map(|(i, c)| if masked[i] { '*' } else { c })
            .collect();
        Cow::Owned(out)
    }
}

/// `pattern`'s lazy DFA for [`may_grow_into_a_match`], if it can be built.
fn beginning_dfa(pattern: &str) -> Option<Arc<DFA>> {
    match DFA::new(pattern) {
        Ok(dfa) => Some(Arc::new(dfa)),
        Err(e) => {
            tracing::debug!(pattern, "no lazy DFA for a redact pattern: {e}");
            None
        }
    }
}

/// Whether `text` is the beginning of a match of `dfa`'s pattern and not yet a
/// whole one: run from its start, the DFA neither dies nor ends in a match. (A
/// whole match is masked when shown, and so is what extends it later.) When the
/// DFA cannot tell (it gave up, or met a byte it quits on), the answer is yes:
/// held rather than shown.
fn may_grow_into_a_match(dfa: &DFA, cache: &mut Cache, text: &str) -> bool {
    let input = Input::new(text).anchored(Anchored::Yes);
    let Ok(mut state) = dfa.start_state_forward(cache, &input) else {
        return true;
    };
    for &byte in text.as_bytes() {
        state = match dfa.next_state(cache, state, byte) {
            Ok(next) => next,
            Err(_) => return true,
        };
        if state.is_dead() {
            return false;
        }
        if state.is_quit() {
            return true;
        }
    }
    // A DFA reports a match one step late: at the end of the input, after its end.
    match dfa.next_eoi_state(cache, state) {
        Ok(end) => !end.is_match(),
        Err(_) => true,
    }
}

/// The redaction of a block whose output is masked whole (`"redact": true`): its
/// terminals use `during` from the moment it starts until its command ends (a
/// background block's: until the terminal's next block), then `after`, the
/// runbook's own ([`Redactor::for_runbook`]).
#[derive(Debug, Clone)]
pub struct BlockScope {
    pub during: Arc<Redactor>,
    pub after: Arc<Redactor>,
}

impl BlockScope {
    /// The scope of `block`, or `None` when it masks no more than the runbook does.
    pub fn of(runbook: &Runbook, block: &CodeBlock) -> Option<Self> {
        if !block.attributes.redact.iter().any(|p| p == REDACT_ALL) {
            return None;
        }
        let after = Redactor::for_runbook(runbook);
        let during = after.union(&Redactor::new(&[REDACT_ALL.to_string()]));
        Some(Self {
            during: Arc::new(during),
            after: Arc::new(after),
        })
    }
}

/// Every string in `value` (object keys left alone) with `redactor`'s matches
/// masked: a probe event or a report is redacted field by field, so JSON escapes
/// never split a secret and the result stays valid JSON.
pub fn redact_json(redactor: &Redactor, value: &mut serde_json::Value) {
    redact_json_except(redactor, value, &[]);
}

/// [`redact_json`], leaving alone the values of the fields named in `keep` (at any
/// depth): identifiers a window sends back to name what it means.
pub fn redact_json_except(redactor: &Redactor, value: &mut serde_json::Value, keep: &[&str]) {
    if redactor.is_empty() {
        return;
    }
    match value {
        serde_json::Value::String(s) => {
            if let Cow::Owned(masked) = redactor.redact(s) {
                *s = masked;
            }
        }
        serde_json::Value::Array(items) => {
            for item in items {
                redact_json_except(redactor, item, keep);
            }
        }
        serde_json::Value::Object(map) => {
            for (key, item) in map.iter_mut() {
                if !keep.contains(&key.as_str()) {
                    redact_json_except(redactor, item, keep);
                }
            }
        }
        _ => {}
    }
}

/// The patterns log lines are masked with ([`RedactedStderr`]); none until a
/// command has read its runbook.
static LOG_REDACTOR: std::sync::RwLock<Option<Arc<Redactor>>> = std::sync::RwLock::new(None);

/// Masks every log line written through [`RedactedStderr`] from now on with
/// `redactor`: a log line can quote what a terminal or a service printed (a probe's
/// error, a command's output), and logs are files too once redirected.
pub fn redact_logs_with(redactor: Redactor) {
    let mut slot = LOG_REDACTOR.write().unwrap_or_else(|e| e.into_inner());
    *slot = Some(Arc::new(redactor));
}

/// Standard error behind the log redaction of [`redact_logs_with`]: the CLI's
/// `tracing` writer. Each log event is written in one call, so a line is masked
/// whole.
#[derive(Debug, Clone, Copy, Default)]
pub struct RedactedStderr;

impl std::io::Write for RedactedStderr {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let redactor = LOG_REDACTOR
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let mut err = std::io::stderr().lock();
        match redactor {
            Some(r) if !r.is_empty() => err.write_all(&redact_bytes(&r, buf))?,
            _ => err.write_all(buf)?,
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

/// Whether `text` is all visible: no escape sequence, no control other than `\n`,
/// `\t` and the `\r` of `\r\n`. Its visible text is then `text` itself, one run.
fn is_plain(text: &str) -> bool {
    let b = text.as_bytes();
    b.iter().enumerate().all(|(i, &c)| match c {
        b'\n' | b'\t' => true,
        b'\r' => b.get(i + 1) == Some(&b'\n'),
        0x00..=0x1f | 0x7f => false,
        _ => true,
    })
}

/// Visible text gathered from the output, each byte remembering where it came from.
#[derive(Debug, Default)]
struct Visible {
    text: String,
    /// For each byte of `text`, the offset in the output of the byte it copies.
    origin: Vec<usize>,
    /// Offsets in `text` where a run ends: matches never cross them.
    cuts: Vec<usize>,
}

impl Visible {
    fn push(&mut self, c: char, at: usize) {
        self.origin.extend(at..at + c.len_utf8());
        self.text.push(c);
    }

    fn cut(&mut self) {
        if self.cuts.last().copied().unwrap_or(0) != self.text.len() {
            self.cuts.push(self.text.len());
        }
    }

    /// The runs of `text`, each matched on its own.
    fn runs(&self) -> impl Iterator<Item = Range<usize>> + '_ {
        let ends = self.cuts.iter().copied().chain([self.text.len()]);
        let mut start = 0;
        ends.filter_map(move |end| {
            let run = start..end;
            start = end;
            (!run.is_empty()).then_some(run)
        })
    }
}

/// The visible text of `text`: what is drawn, runs cut at each `\r` not followed
/// by `\n`; the payloads of its string sequences, a run each; and, when the text
/// moves the cursor back over a line (a bare `\r` or a backspace), each line as the
/// screen ends up showing it (empty otherwise: it would be the first).
fn visible(text: &str) -> (Visible, Visible, Visible) {
    let b = text.as_bytes();
    let mut screen = Visible::default();
    let mut strings = Visible::default();
    let mut composed = Composed::default();
    let overwrites = b
        .iter()
        .enumerate()
        .any(|(i, &c)| c == 0x08 || (c == b'\r' && b.get(i + 1) != Some(&b'\n')));
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            0x1b => i = skip_escape(text, i, &mut strings),
            b'\r' if b.get(i + 1) != Some(&b'\n') => {
                screen.cut();
                composed.col = 0;
                i += 1;
            }
            0x08 => {
                composed.col = composed.col.saturating_sub(1);
                i += 1;
            }
            b'\r' | b'\n' => {
                screen.push(char::from(b[i]), i);
                if overwrites {
                    composed.end_line(char::from(b[i]), i);
                }
                i += 1;
            }
            b'\t' => {
                screen.push('\t', i);
                if overwrites {
                    composed.draw('\t', i);
                }
                i += 1;
            }
            0x00..=0x1f | 0x7f => i += 1,
            _ => {
                let c = next_char(text, i);
                screen.push(c, i);
                if overwrites {
                    composed.draw(c, i);
                }
                i += c.len_utf8();
            }
        }
    }
    (screen, strings, composed.finish())
}

/// Lines as the screen ends up showing them after overwrites: each column keeps the
/// character drawn there last, and where in the output it came from.
#[derive(Debug, Default)]
struct Composed {
    done: Visible,
    line: Vec<(char, usize)>,
    col: usize,
}

impl Composed {
    fn draw(&mut self, c: char, at: usize) {
        match self.line.get_mut(self.col) {
            Some(cell) => *cell = (c, at),
            None => self.line.push((c, at)),
        }
        self.col += 1;
    }

    /// The line is complete at `c` (`\r` of `\r\n`, or `\n`), which ends it.
    fn end_line(&mut self, c: char, at: usize) {
        for (ch, from) in self.line.drain(..) {
            self.done.push(ch, from);
        }
        self.done.push(c, at);
        self.col = 0;
    }

    fn finish(mut self) -> Visible {
        for (ch, from) in self.line.drain(..) {
            self.done.push(ch, from);
        }
        self.done
    }
}

/// The character starting at byte `i` of `text`, a character boundary.
fn next_char(text: &str, i: usize) -> char {
    text[i..].chars().next().unwrap_or('\u{fffd}')
}

/// The offset just past the escape sequence whose `ESC` is at `i`; a string
/// sequence's payload goes to `strings`. A sequence cut short by a byte that cannot
/// continue it ends before that byte; one cut off by the end of `text` runs to it.
fn skip_escape(text: &str, i: usize, strings: &mut Visible) -> usize {
    let b = text.as_bytes();
    let Some(&kind) = b.get(i + 1) else {
        return i + 1;
    };
    match kind {
        b'[' => {
            let mut j = i + 2;
            while j < b.len() {
                match b[j] {
                    0x20..=0x3f => j += 1,
                    0x40..=0x7e => return j + 1,
                    _ => return j,
                }
            }
            j
        }
        b']' | b'P' | b'X' | b'^' | b'_' => skip_string(text, i + 2, kind == b']', strings),
        0x20..=0x2f => {
            let mut j = i + 1;
            while j < b.len() && (0x20..=0x2f).contains(&b[j]) {
                j += 1;
            }
            if j < b.len() && (0x30..=0x7e).contains(&b[j]) {
                j + 1
            } else {
                j
            }
        }
        0x30..=0x7e => i + 2,
        _ => i + 1,
    }
}

/// The offset just past a string sequence whose payload starts at `start`: ended by
/// BEL or `ESC \`, cancelled by CAN or SUB, cut short by another `ESC`. Its payload
/// (for an OSC, after the command number and its `;`) goes to `strings`, one run.
fn skip_string(text: &str, start: usize, osc: bool, strings: &mut Visible) -> usize {
    let b = text.as_bytes();
    strings.cut();
    let mut in_payload = !osc;
    let mut j = start;
    let end = loop {
        let Some(&c) = b.get(j) else {
            break j;
        };
        match c {
            0x07 | 0x18 | 0x1a => break j + 1,
            0x1b if b.get(j + 1) == Some(&b'\\') => break j + 2,
            0x1b => break j,
            b';' if !in_payload => {
                in_payload = true;
                j += 1;
            }
            0x00..=0x1f | 0x7f => j += 1,
            _ => {
                let ch = next_char(text, j);
                if in_payload {
                    strings.push(ch, j);
                }
                j += ch.len_utf8();
            }
        }
    };
    strings.cut();
    end
}

/// A screen redraw (escape sequences and text, sent once when a window attaches)
/// with every match masked: decoded as UTF-8 (invalid bytes become U+FFFD), redacted,
/// encoded again. Unchanged without patterns.
///
/// A redraw writes a wrapped row straight on from the row before, so a secret the
/// terminal wrapped is still matched whole, and so is one drawn in two colours, as
/// in the live stream and the recordings.
pub fn redact_bytes(redactor: &Redactor, bytes: &[u8]) -> Vec<u8> {
    if redactor.is_empty() {
        return bytes.to_vec();
    }
    let text = String::from_utf8_lossy(bytes);
    redactor.redact(&text).into_owned().into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sk() -> Redactor {
        Redactor::new(&["sk-\\w+".into()])
    }

    #[test]
    fn masks_each_match_at_its_width() {
        let r = Redactor::new(&["sk-\\w+".into(), "[".into()]);
        assert_eq!(r.redact("key=sk-abc123 ok"), "key=********* ok");
        assert!(matches!(r.redact("nothing here"), Cow::Borrowed(_)));
        assert!(Redactor::new(&[]).is_empty());
    }

    #[test]
    fn nothing_matched_is_borrowed() {
        let r = sk();
        for text in [
            "plain\r\nlines\n",
            "\x1b[1mbold\x1b[m sk- \x1b]0;title\x07",
            "50%\r75%\r",
            "",
        ] {
            assert!(matches!(r.redact(text), Cow::Borrowed(_)), "{text:?}");
        }
        assert!(matches!(
            Redactor::default().redact("sk-abc"),
            Cow::Borrowed(_)
        ));
    }

    #[test]
    fn a_grep_coloured_secret_is_masked_whole() {
        let out = "env.txt:\x1b[01;31m\x1b[Ksk-\x1b[m\x1b[Kabc123\n";
        assert_eq!(
            sk().redact(out),
            "env.txt:\x1b[01;31m\x1b[K***\x1b[m\x1b[K******\n"
        );
    }

    #[test]
    fn an_escape_inside_a_secret_is_kept_and_only_visible_chars_masked() {
        let r = sk();
        assert_eq!(r.redact("key sk-ab\x1b[1mcd ok"), "key *****\x1b[1m** ok");
        // Two-byte and charset escapes, and controls, are not text either.
        assert_eq!(
            r.redact("sk-a\x1b(Bb\x1b7c\x0fd!"),
            "****\x1b(B*\x1b7*\x0f*!"
        );
        assert_eq!(r.redact("sk-\x08abc"), "***\x08***");
    }

    #[test]
    fn window_titles_are_left_alone_unless_they_hold_a_secret() {
        let r = sk();
        let title = "\x1b]0;user@host: ~/sk-\x07$ ";
        assert!(matches!(r.redact(title), Cow::Borrowed(_)));
        assert_eq!(
            r.redact("\x1b]2;deploy sk-abc1\x1b\\prompt$ "),
            "\x1b]2;deploy *******\x1b\\prompt$ "
        );
        // The title is matched on its own: not joined to the text around it, and the
        // command number (`2;`) is not part of it.
        assert!(matches!(r.redact("sk\x1b]2;-abc\x07 x"), Cow::Borrowed(_)));
        let r = Redactor::new(&["\\d+".into()]);
        assert_eq!(
            r.redact("\x1b]133;A\x07\x1b]0;v42\x07"),
            "\x1b]133;A\x07\x1b]0;v**\x07"
        );
    }

    #[test]
    fn a_carriage_return_bounds_matches() {
        let r = sk();
        // Each drawing of a line is matched on its own.
        assert_eq!(r.redact("sk-abc\rXY\r\n"), "******\rXY\r\n");
        assert_eq!(r.redact("sk-1\rsk-22\n"), "****\r*****\n");
        // A drawing's match does not run on across a `\r`; across `\r\n` it may,
        // but the line ending itself is kept.
        let r = Redactor::new(&["pass: \\S+".into(), "a\\s+b".into()]);
        assert_eq!(r.redact("pass: x\ry"), "*******\ry");
        assert_eq!(r.redact("a\rb a\r\nb"), "a\rb *\r\n*");
    }

    #[test]
    fn a_secret_put_together_by_an_overwrite_is_masked_where_it_was_drawn() {
        let r = sk();
        // The screen shows `sk-abc`: its `-abc` from the first drawing, `sk` from the second.
        assert_eq!(r.redact("xx-abc\rsk"), "xx****\r**");
        assert_eq!(r.redact("xx-abc\rsk\r\nnext sk"), "xx****\r**\r\nnext sk");
        // A backspace moves back one column.
        let r = Redactor::new(&["zq9xk7vw[a-z0-9]+".into()]);
        assert_eq!(r.redact("zq9xk7vX\x08wqj3 ok"), "*******X\x08**** ok");
        // Colours between the drawings change nothing.
        assert_eq!(
            r.redact("..\x1b[1m9xk7vwqj3\x1b[0m\rzq\n"),
            "..\x1b[1m*********\x1b[0m\r**\n"
        );
        // Each line is put together on its own.
        assert!(matches!(r.redact("xx9xk7vwqj\nzq\rab"), Cow::Borrowed(_)));
        assert_eq!(r.redact("zq9xk7vw1\r\r\x08"), "*********\r\r\x08");
    }

    #[test]
    fn multibyte_text_around_and_in_a_match_stays_whole() {
        let r = Redactor::new(&["sk-\\w+".into(), "pässwörd".into()]);
        assert_eq!(
            r.redact("ключ→sk-é\x1b[31mß9\x1b[0m←ok"),
            "ключ→****\x1b[31m**\x1b[0m←ok"
        );
        assert_eq!(r.redact("é pässw\x1b[1mörd é"), "é *****\x1b[1m*** é");
    }

    #[test]
    fn the_char_count_is_kept() {
        let r = Redactor::new(&["sk-\\w+".into(), "ö+".into(), "x*".into()]);
        for text in [
            "key=sk-abc123 ok",
            "\x1b[01;31m\x1b[Ksk-\x1b[m\x1b[Kabc123 ööö",
            "sk-é\x1b]0;sk-ü\x1b\\ß\rsk-ä\r\n",
            "\x1b]8;;https://x/?t=sk-ab\x1b\\link\x1b]8;;\x1b\\",
            "unterminated \x1b]0;sk-abc",
            "cut \x1b[3",
            "\x1b",
        ] {
            let out = r.redact(text);
            assert_eq!(out.chars().count(), text.chars().count(), "{text:?}");
        }
        assert_eq!(
            r.redact("unterminated \x1b]0;sk-abc"),
            "unterminated \x1b]0;******"
        );
    }

    const BOOK: &str = "---\nredact: [\"zq9x\\\\w+\"]\n---\n# T\n\n## One\n\n```bash {\"redact\": [\"hw4r\\\\w+\"]}\necho a\n```\n\n## Two\n\n```bash {\"redact\": true}\necho b\n```\n\n## Three\n\n```bash\necho c\n```\n";

    #[test]
    fn a_block_list_applies_runbook_wide_and_true_only_to_its_block() {
        let book = crate::runbook::parse_str(BOOK, None);
        assert!(
            book.diagnostics
                .iter()
                .all(|d| d.severity != crate::runbook::Severity::Error),
            "{:?}",
            book.diagnostics
        );
        let r = Redactor::for_runbook(&book);
        assert_eq!(r.redact("zq9xab hw4rcd ok"), "****** ****** ok");
        assert!(Redactor::wanted_by(&book));
        assert!(BlockScope::of(&book, &book.steps[0].blocks[0]).is_none());
        let scope = BlockScope::of(&book, &book.steps[1].blocks[0]).expect("masked whole");
        assert_eq!(scope.during.redact("any text\tat all"), "********\t******");
        assert_eq!(scope.after.redact("hw4rxy ok"), "****** ok");
        assert_eq!(Redactor::for_step(&book, &book.steps[1]).redact("ok"), "**");
        assert_eq!(Redactor::for_step(&book, &book.steps[2]).redact("ok"), "ok");
        let plain = crate::runbook::parse_str("# T\n\n## S\n\n```bash\necho\n```\n", None);
        assert!(!Redactor::wanted_by(&plain));
    }

    #[test]
    fn json_strings_are_masked_and_keys_kept() {
        let r = sk();
        let mut v =
            serde_json::json!({"sk-key": "sk-abc", "list": ["a sk-1", 2, null], "n": {"e": "x"}});
        redact_json(&r, &mut v);
        assert_eq!(
            v,
            serde_json::json!({"sk-key": "******", "list": ["a ****", 2, null], "n": {"e": "x"}})
        );
    }

    #[test]
    fn a_redraw_is_masked_around_its_escape_sequences() {
        let r = sk();
        let redraw = b"\x1b[H\x1b[1mkey=sk-abc123\x1b[0m\r\nbad \xff byte";
        assert_eq!(
            redact_bytes(&r, redraw),
            "\x1b[H\x1b[1mkey=*********\x1b[0m\r\nbad \u{fffd} byte".as_bytes()
        );
        assert_eq!(
            redact_bytes(&r, b"\x1b[2;1Hsk-\x1b[32mab"),
            b"\x1b[2;1H***\x1b[32m**"
        );
        let raw = b"sk-abc \xff";
        assert_eq!(redact_bytes(&Redactor::default(), raw), raw);
    }
}
