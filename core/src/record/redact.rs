//! Secrets marked for redaction (front matter `redact: [regex, ...]`) are masked
//! before output reaches a recording: each match becomes `*` of the same width, so
//! the terminal's layout replays unchanged.

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
}
