//! Text-level inference: what a phrase in a runbook means to the presenter.
//! Each function reads one convention found in real runbooks; `parse.rs` applies them.

use std::sync::LazyLock;

use regex::{Regex, RegexSet};

use super::duration::{budget_seconds, clock_range, parse_duration_ms};
use super::model::NoteKind;

fn re(pattern: &str) -> Regex {
    Regex::new(pattern).expect("static regex")
}

static BUDGET: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\s*[(\[]\s*(~?\s*\d+(?:\.\d+)?(?:\s*(?:-|–|—|to)\s*\d+(?:\.\d+)?)?\s*(?:milliseconds?|ms|seconds?|secs?|s|minutes?|mins?|m|hours?|hrs?|h)(?:\s*\d+\s*(?:seconds?|secs?|s))?|\d{1,2}:\d{2}\s*(?:-|–|—|to)\s*\d{1,2}:\d{2})\s*[)\]]\s*$",
    )
});

/// "00:00 - 05:00 Introduction", "[0:00-5:00] Intro", "05:00–10:00 | Deploy".
static CLOCK_PREFIX: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"^\s*\[?(\d{1,2}:\d{2}(?::\d{2})?\s*(?:-|–|—|to)\s*\d{1,2}:\d{2}(?::\d{2})?)\]?\s*(?:[|:—–-]\s*)?(\S.*)$",
    )
});

/// "Demo 1: Rate Limiting (1 minute)" -> ("Demo 1: Rate Limiting", 60); also
/// "(2-3 min)" (the upper bound), "(0:00 - 1:00)", and a clock-range prefix
/// "00:00 - 05:00 Introduction".
pub fn heading_budget(title: &str) -> Option<(String, u32)> {
    if let Some(caps) = CLOCK_PREFIX.captures(title) {
        if let Some(seconds) = budget_seconds(&caps[1]) {
            return Some((caps[2].trim().to_string(), seconds));
        }
    }
    if !title.trim_end().ends_with([')', ']']) {
        return None;
    }
    let caps = BUDGET.captures(title)?;
    let whole = caps.get(0)?;
    let seconds = match budget_seconds(&caps[1]) {
        Some(s) => s,
        // "(0.5s)": under a second, kept as the old rule did (0).
        None => (parse_duration_ms(caps[1].trim_start_matches('~').trim())? / 1000) as u32,
    };
    let clean = title[..whole.start()]
        .trim_end_matches([' ', '-', '–', '—', ':'])
        .to_string();
    Some((clean, seconds))
}

/// A budget written in text ("**Timing**: 2-3 minutes"): its seconds.
pub fn duration_seconds(text: &str) -> Option<u32> {
    budget_seconds(
        text.trim()
            .trim_end_matches(['.', ')'])
            .trim_start_matches('('),
    )
}

/// What a heading or bold label announces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Label {
    Notes(NoteKind),
    Questions,
    /// "What are we showing?", "Goal": the step's pitch.
    Pitch,
    /// "Expected Result", "Script Output": what the audience should see.
    Expected,
    /// "Steps", "Metrics": a part of the enclosing step, not a step of its own.
    Part,
    /// "Timing", "Duration": the step's time budget follows.
    Timing,
    /// "Say", "Script": words to say as written (talking points labelled "Say").
    Spoken,
}

/// Label patterns, index-aligned with LABEL_KINDS; one pass over the text for all.
static LABELS: LazyLock<RegexSet> = LazyLock::new(|| {
    RegexSet::new([
        r"(?i)^talking\s+points?$",
        r"(?i)^(what\s+to\s+)?call[\s-]*outs?\b",
        r"(?i)^key\s+(points?|takeaways?|messages?)$",
        r"(?i)^(presentation|presenter|demo|speaker)\s+(tips?|notes?)$|^tips?$|^speaker\s+notes$|^notes$",
        r"(?i)questions?|^q\s*&\s*a$|^faqs?$",
        r"(?i)^what\s+(are\s+we|we\s*'?re|is\s+being)\s+show(ing|n)\??$|^goal$|^pitch$",
        r"(?i)^(expected\s+(results?|output)|results?|script\s+output|sample\s+output|output)$",
        r"(?i)^(steps|metrics|commands|how|demo\s+steps)$",
        r"(?i)^(say|script|narration|voice[\s-]*over|say\s+while\s+\w+|transition)$",
        r"(?i)^(display|on\s+screen|explain\s+to\s+the\s+audience)$",
        r"(?i)^(timing|time|duration|estimated\s+time|time\s+budget)$",
    ])
    .expect("static regex set")
});

const LABEL_KINDS: [Label; 11] = [
    Label::Notes(NoteKind::TalkingPoint),
    Label::Notes(NoteKind::CallOut),
    Label::Notes(NoteKind::KeyPoint),
    Label::Notes(NoteKind::Tip),
    Label::Questions,
    Label::Pitch,
    Label::Expected,
    Label::Part,
    Label::Spoken,
    Label::Notes(NoteKind::Remark),
    Label::Timing,
];

/// Classifies a heading or bold label ("**Talking Points:**").
pub fn label(text: &str) -> Option<Label> {
    let t = text.trim().trim_end_matches([':', '.']).trim();
    if t.is_empty() || t.len() > 60 {
        return None;
    }
    LABELS.matches(t).into_iter().next().map(|i| LABEL_KINDS[i])
}

static REMARK: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)^(call\s+out|explain|point\s+out|mention|emphasi[sz]e|stress|remind|highlight|note:|tip:|use\s+the\s+output\s+to\s+show)\b",
    )
});

/// A sentence addressed to the presenter ("Call out that ...", "Explain that ...").
pub fn presenter_remark(text: &str) -> Option<NoteKind> {
    let t = text.trim();
    let caps = REMARK.captures(t)?;
    let verb = caps[1].to_ascii_lowercase();
    Some(if verb.starts_with("call") || verb.starts_with("point") {
        NoteKind::CallOut
    } else if verb.starts_with("tip") {
        NoteKind::Tip
    } else {
        NoteKind::Remark
    })
}

/// "Q: How? → A: Like so." / "Q: How? - A: Like so." / "How? → Like so." in one text.
/// Written by hand rather than as one regex: lazy matching over long lines backtracks.
pub fn qa_inline(text: &str) -> Option<(String, String)> {
    let t = text.trim();
    let prefixed = is_question_prefixed(t);
    let (left, right) = match split_at_arrow(t) {
        Some(parts) => parts,
        None if prefixed => t.split_at(answer_marker(t)?),
        None => return None,
    };
    let left = left.trim().trim_end_matches(['-', '—', '–']).trim_end();
    let asks = left.trim_end_matches(['"', '\u{201d}']).ends_with('?');
    if !prefixed && !asks {
        return None;
    }
    let question = clean_question(left);
    let answer = strip_answer_prefix(right).unwrap_or_else(|| right.trim().to_string());
    (!question.is_empty() && !answer.is_empty()).then_some((question, answer))
}

fn split_at_arrow(t: &str) -> Option<(&str, &str)> {
    ["→", "->", "=>"]
        .iter()
        .filter_map(|sep| t.find(sep).map(|i| (i, sep.len())))
        .min()
        .map(|(i, len)| (&t[..i], &t[i + len..]))
}

/// Where "A:" starts an answer: after white space or a dash.
fn answer_marker(t: &str) -> Option<usize> {
    t.match_indices("A:")
        .map(|(i, _)| i)
        .find(|&i| t[..i].ends_with(|c: char| c.is_whitespace() || matches!(c, '-' | '—' | '–')))
}

static Q_PREFIX: LazyLock<Regex> = LazyLock::new(|| re(r"(?i)^\s*Q\s*[:.]\s*"));
static A_PREFIX: LazyLock<Regex> = LazyLock::new(|| re(r"(?i)^\s*(A\s*[:.]|→|->|=>)\s*"));

/// Removes a leading "Q:" and surrounding quotes from a question.
pub fn clean_question(text: &str) -> String {
    unquote(&Q_PREFIX.replace(text.trim(), ""))
}

/// Removes a leading "A:" or arrow from an answer; `None` if there was none.
pub fn strip_answer_prefix(text: &str) -> Option<String> {
    let m = A_PREFIX.find(text)?;
    Some(text[m.end()..].trim().to_string())
}

pub fn is_question_prefixed(text: &str) -> bool {
    Q_PREFIX.is_match(text)
}

fn unquote(text: &str) -> String {
    text.trim()
        .trim_matches(|c| matches!(c, '"' | '\u{201c}' | '\u{201d}'))
        .trim()
        .to_string()
}

static SHOULD_SEE: LazyLock<Regex> = LazyLock::new(|| {
    re(r"(?i)\b(you\s+should\s+see|should\s+(see|display|show|print|return|output)|look\s+for)\b")
});
static DOUBLE_QUOTED: LazyLock<Regex> = LazyLock::new(|| re(r#""([^"]{2,})""#));

/// "You should see `X`" -> (sentence, Some(X)); "Look for logs saying "Became LEADER"".
pub fn should_see(text: &str, code_spans: &[String]) -> Option<(String, Option<String>)> {
    let lower = text.to_ascii_lowercase();
    if !(lower.contains("should") || lower.contains("look")) || !SHOULD_SEE.is_match(text) {
        return None;
    }
    let quoted = code_spans
        .first()
        .cloned()
        .or_else(|| DOUBLE_QUOTED.captures(text).map(|c| c[1].to_string()));
    Some((text.trim().to_string(), quoted))
}

/// "0:00-1:00" -> (0, 60).
pub fn time_range(cell: &str) -> Option<(u32, u32)> {
    clock_range(cell)
}

static LOCAL_URL: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"https?://(?:localhost|127\.0\.0\.1|0\.0\.0\.0|\[::1\])(?::(\d{1,5}))?(/[^\s'"`<>|\\)\]]*)?"#,
    )
});
static ANY_URL: LazyLock<Regex> = LazyLock::new(|| re(r#"https?://[^\s'"`<>|\\)\]]+"#));

/// A URL on this machine: scheme://localhost:port/path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalUrl {
    pub url: String,
    pub port: u16,
    pub path: String,
}

pub fn local_urls(text: &str) -> Vec<LocalUrl> {
    if !text.contains("://") {
        return Vec::new();
    }
    LOCAL_URL
        .captures_iter(text)
        .filter_map(|c| {
            let url = c
                .get(0)?
                .as_str()
                .trim_end_matches(['.', ',', ';', ':'])
                .to_string();
            let default_port = if url.starts_with("https") { 443 } else { 80 };
            let port = c
                .get(1)
                .map_or(Some(default_port), |p| p.as_str().parse().ok())?;
            let path = c.get(2).map_or("/", |p| p.as_str());
            let path = path.split(['?', '#']).next().unwrap_or("/").to_string();
            Some(LocalUrl { url, port, path })
        })
        .collect()
}

pub fn urls(text: &str) -> Vec<String> {
    if !text.contains("://") {
        return Vec::new();
    }
    ANY_URL
        .find_iter(text)
        .map(|m| {
            m.as_str()
                .trim_end_matches(['.', ',', ';', ':'])
                .to_string()
        })
        .collect()
}

/// What a local endpoint's path says it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Endpoint {
    /// Ranked: a lower rank is the better health probe for a port.
    Health(u8),
    Metrics,
}

pub fn endpoint_kind(path: &str) -> Option<Endpoint> {
    let last = path.trim_end_matches('/').rsplit('/').next().unwrap_or("");
    let depth = path
        .trim_matches('/')
        .split('/')
        .filter(|s| !s.is_empty())
        .count();
    match last {
        "health" | "healthz" | "_health" => Some(Endpoint::Health(0)),
        "ready" | "readyz" | "livez" | "ping" if depth <= 2 => Some(Endpoint::Health(1)),
        "status" if depth == 1 => Some(Endpoint::Health(2)),
        "metrics" | "_metrics" | "prometheus" => Some(Endpoint::Metrics),
        _ => None,
    }
}

/// Lowercase words of a title, for fuzzy matching.
pub fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| w.to_lowercase())
        .collect()
}

/// A URL-safe identifier from a title: "Demo 1: Rate Limiting" -> "demo-1-rate-limiting".
pub fn slug(text: &str) -> String {
    let s = words(text).join("-");
    let s: String = s
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect();
    let s = s.trim_matches('-').to_string();
    if s.is_empty() {
        "step".to_string()
    } else {
        s.chars().take(60).collect()
    }
}

static PORT_IN_TEXT: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?i)\bport\s*:?\s*(\d{2,5})\b|:(\d{4,5})\b"));
static TOOL_INSTALLED: LazyLock<Regex> = LazyLock::new(|| {
    re(r"(?i)\(?`?([a-z][\w.+-]*)`?\s+installed\b|\binstall(?:ed)?\s+`([a-z][\w.+-]*)`")
});

/// The port a checklist item names ("API server running (port 5001)").
pub fn port_in(text: &str) -> Option<u16> {
    let caps = PORT_IN_TEXT.captures(text)?;
    caps.get(1).or(caps.get(2))?.as_str().parse().ok()
}

/// The tool a checklist item names ("Test clients ready (wscat installed)").
pub fn tool_in(text: &str) -> Option<String> {
    let caps = TOOL_INSTALLED.captures(text)?;
    Some(caps.get(1).or(caps.get(2))?.as_str().to_string())
}

static TERMINAL_ROLE: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?i)^terminal\s*#?\s*(\d{1,2})\s*(?:[:–—-]|\()\s*(.+?)\)?\s*$"));

/// "Terminal 1: API server" -> ("Terminal 1", "API server"): a terminal the prose
/// plans, named as `# Terminal 1` comments in blocks name it.
pub fn terminal_role(text: &str) -> Option<(String, String)> {
    if !text.get(..8)?.eq_ignore_ascii_case("terminal") {
        return None;
    }
    let caps = TERMINAL_ROLE.captures(text.lines().next()?)?;
    let purpose = caps[2].trim().trim_end_matches(['.', ':']).to_string();
    (!purpose.is_empty()).then(|| (format!("Terminal {}", &caps[1]), purpose))
}

/// Sections under these headings are kept out of Run All.
pub fn is_optional_title(title: &str) -> bool {
    static OPTIONAL: LazyLock<Regex> = LazyLock::new(|| {
        re(r"(?i)\b(optional|troubleshoot\w*|backup\s+plans?|if\s+.*\s+fails|legacy)\b")
    });
    OPTIONAL.is_match(title)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budgets_from_headings() {
        assert_eq!(
            heading_budget("Demo 1: Rate Limiting (1 minute)"),
            Some(("Demo 1: Rate Limiting".into(), 60))
        );
        assert_eq!(
            heading_budget("Section 1: Flow (5 minutes)").map(|b| b.1),
            Some(300)
        );
        assert_eq!(
            heading_budget("🚀 Launch (30s)"),
            Some(("🚀 Launch".into(), 30))
        );
        assert_eq!(heading_budget("Wrap-up [2 min]").map(|b| b.1), Some(120));
        assert_eq!(heading_budget("Part 8: Load Testing (Optional)"), None);
        assert_eq!(heading_budget("Demo (1 minute) of things"), None);
        assert_eq!(heading_budget("Deploy (2-3 min)").map(|b| b.1), Some(180));
        assert_eq!(heading_budget("Intro (2 Minutes)").map(|b| b.1), Some(120));
        assert_eq!(
            heading_budget("00:00 - 05:00 Opening"),
            Some(("Opening".into(), 300))
        );
        assert_eq!(
            heading_budget("Segment 2: Flow (1:00 - 1:30)"),
            Some(("Segment 2: Flow".into(), 30))
        );
    }

    #[test]
    fn labels() {
        assert_eq!(
            label("Talking Points"),
            Some(Label::Notes(NoteKind::TalkingPoint))
        );
        assert_eq!(
            label("What to call out during demo"),
            Some(Label::Notes(NoteKind::CallOut))
        );
        assert_eq!(
            label("Presentation Tips"),
            Some(Label::Notes(NoteKind::Tip))
        );
        assert_eq!(label("Preparation for Questions:"), Some(Label::Questions));
        assert_eq!(label("Questions to Anticipate"), Some(Label::Questions));
        assert_eq!(label("What Are We Showing?"), Some(Label::Pitch));
        assert_eq!(label("Expected Result"), Some(Label::Expected));
        assert_eq!(label("Step 1: Start the engine"), None);
    }

    #[test]
    fn qa_forms() {
        assert_eq!(
            qa_inline(r#"Q: "How flexible is the limit?" → A: Can be changed"#),
            Some(("How flexible is the limit?".into(), "Can be changed".into()))
        );
        assert_eq!(
            qa_inline("Q: Can messages be lost? - A: Some can."),
            Some(("Can messages be lost?".into(), "Some can.".into()))
        );
        assert_eq!(
            qa_inline("How is it scaled? → Linearly."),
            Some(("How is it scaled?".into(), "Linearly.".into()))
        );
        assert_eq!(qa_inline("Just a note"), None);
        assert_eq!(clean_question("Q: What happens?"), "What happens?");
        assert_eq!(
            strip_answer_prefix("A: Term numbers."),
            Some("Term numbers.".into())
        );
    }

    #[test]
    fn expectations() {
        let (t, q) = should_see(
            "You should see `HTTP/1.1 100 Continue` first",
            &["HTTP/1.1 100 Continue".into()],
        )
        .expect("matches");
        assert!(t.starts_with("You should"));
        assert_eq!(q.as_deref(), Some("HTTP/1.1 100 Continue"));
        let (_, q) = should_see("Look for logs saying \"Became LEADER\"", &[]).expect("matches");
        assert_eq!(q.as_deref(), Some("Became LEADER"));
    }

    #[test]
    fn urls_and_endpoints() {
        let u = local_urls(
            "curl -s http://localhost:8080/health | jq; http://127.0.0.1:8080/_metrics.",
        );
        assert_eq!(u[0].port, 8080);
        assert_eq!(u[0].path, "/health");
        assert_eq!(u[1].url, "http://127.0.0.1:8080/_metrics");
        assert_eq!(endpoint_kind("/health"), Some(Endpoint::Health(0)));
        assert_eq!(endpoint_kind("/status"), Some(Endpoint::Health(2)));
        assert_eq!(endpoint_kind("/api/status"), None);
        assert_eq!(endpoint_kind("/_metrics"), Some(Endpoint::Metrics));
        assert_eq!(endpoint_kind("/api/increment"), None);
    }

    #[test]
    fn timeline_and_misc() {
        assert_eq!(time_range("0:00-1:00"), Some((0, 60)));
        assert_eq!(time_range("5:00 – 8:00"), Some((300, 480)));
        assert_eq!(time_range("Time"), None);
        assert_eq!(slug("Demo 1: Rate Limiting"), "demo-1-rate-limiting");
        assert_eq!(slug("🚀"), "step");
        assert_eq!(port_in("API server running (port 5001)"), Some(5001));
        assert_eq!(
            tool_in("Test clients ready (wscat installed)"),
            Some("wscat".into())
        );
    }
}
