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
//! already shows; matches never span it. So a secret redrawn in place is matched in
//! each drawing on its own, but one that only comes together on screen through an
//! overwrite (`printf 'xx-abc\rsk'` shows `sk-abc`) is not caught. The `\r` of a
//! `\r\n` line ending is left in the text matched, as in the raw output.

use std::borrow::Cow;
use std::ops::Range;

use regex::Regex;

/// The runbook's redaction patterns, compiled. Patterns that do not compile are
/// already lint errors; here they are skipped.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    patterns: Vec<Regex>,
}

impl Redactor {
    pub fn new(patterns: &[String]) -> Self {
        Self {
            patterns: patterns.iter().filter_map(|p| Regex::new(p).ok()).collect(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
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
        let (screen, strings) = visible(text);
        // Indexed by byte offset in `text`: whether the character starting there is masked.
        let mut masked = vec![false; text.len()];
        let mut any = false;
        for v in [&screen, &strings] {
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

/// The visible text of `text`: what the screen shows, runs cut at each `\r` not
/// followed by `\n`; and the payloads of its string sequences, a run each.
fn visible(text: &str) -> (Visible, Visible) {
    let b = text.as_bytes();
    let mut screen = Visible::default();
    let mut strings = Visible::default();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            0x1b => i = skip_escape(text, i, &mut strings),
            b'\r' if b.get(i + 1) != Some(&b'\n') => {
                screen.cut();
                i += 1;
            }
            b'\r' | b'\n' | b'\t' => {
                screen.push(char::from(b[i]), i);
                i += 1;
            }
            0x00..=0x1f | 0x7f => i += 1,
            _ => {
                let c = next_char(text, i);
                screen.push(c, i);
                i += c.len_utf8();
            }
        }
    }
    (screen, strings)
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
        // Not caught: an overwrite that puts a secret together on screen.
        assert!(matches!(r.redact("xx-abc\rsk"), Cow::Borrowed(_)));
        // A match does not run on across a `\r`; across `\r\n` it may, but the line
        // ending itself is kept.
        let r = Redactor::new(&["pass: \\S+".into(), "a\\s+b".into()]);
        assert_eq!(r.redact("pass: x\ry"), "*******\ry");
        assert_eq!(r.redact("a\rb a\r\nb"), "a\rb *\r\n*");
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
