//! Secrets marked for redaction (front matter `redact: [regex, ...]`) are masked
//! before output reaches a recording: each match becomes `*` of the same width, so
//! the terminal's layout replays unchanged. The live audience view streams through
//! [`super::live_redact`]; [`redact_bytes`] masks a one-off screen redraw.

use std::borrow::Cow;

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

    /// `text` with every match masked; borrowed when nothing matched.
    pub fn redact<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let mut out = Cow::Borrowed(text);
        for re in &self.patterns {
            if let Cow::Owned(s) = re.replace_all(&out, |c: &regex::Captures<'_>| {
                "*".repeat(c[0].chars().count())
            }) {
                out = Cow::Owned(s);
            }
        }
        out
    }
}

/// A screen redraw (escape sequences and text, sent once when a window attaches)
/// with every match masked: decoded as UTF-8 (invalid bytes become U+FFFD), redacted,
/// encoded again. Unchanged without patterns.
///
/// A redraw writes a wrapped row straight on from the row before, so a secret the
/// terminal wrapped is still matched whole; a secret drawn in two colours (an escape
/// sequence in its middle) is not, as in the live stream and the recordings.
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

    #[test]
    fn masks_each_match_at_its_width() {
        let r = Redactor::new(&["sk-\\w+".into(), "[".into()]);
        assert_eq!(r.redact("key=sk-abc123 ok"), "key=********* ok");
        assert!(matches!(r.redact("nothing here"), Cow::Borrowed(_)));
        assert!(Redactor::new(&[]).is_empty());
    }

    #[test]
    fn a_redraw_is_masked_around_its_escape_sequences() {
        let r = Redactor::new(&["sk-\\w+".into()]);
        let redraw = b"\x1b[H\x1b[1mkey=sk-abc123\x1b[0m\r\nbad \xff byte";
        assert_eq!(
            redact_bytes(&r, redraw),
            "\x1b[H\x1b[1mkey=*********\x1b[0m\r\nbad \u{fffd} byte".as_bytes()
        );
        let raw = b"sk-abc \xff";
        assert_eq!(redact_bytes(&Redactor::default(), raw), raw);
    }
}
