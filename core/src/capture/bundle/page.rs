//! The bundle's page: our own HTML, CSS (`page.css`) and script (`page.js`) around
//! asciinema-player. Every text from the rehearsal or the runbook is HTML-escaped
//! here (the caller has redacted it); the data the script reads is JSON in a
//! `<script type="application/json">` with `<`, `>` and `&` escaped, so nothing in
//! it can close the element.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;
use sha2::{Digest, Sha256};

const PAGE_CSS: &str = include_str!("page.css");
const PAGE_JS: &str = include_str!("page.js");
/// Runs before the player: collects Content-Security-Policy violations for the
/// page's test hook (a bundle that works offline has none).
const GUARD_JS: &str = "window.__cuedeckBundle={ready:false,violations:[]};\
document.addEventListener('securitypolicyviolation',function(e){\
window.__cuedeckBundle.violations.push(e.violatedDirective+' '+e.blockedURI);});";

pub struct Page<'a> {
    pub title: String,
    pub runbook: String,
    pub rehearsal: String,
    pub started: String,
    pub finished: bool,
    pub cuedeck: String,
    pub player_version: String,
    pub notes: bool,
    pub initial: usize,
    pub terminals: Vec<PageTerminal>,
    pub steps: Vec<PageStep>,
    pub player_js: &'a str,
    pub player_css: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PageTerminal {
    pub name: String,
    pub cols: u16,
    pub rows: u16,
    /// The cast (asciicast v2) the player plays.
    pub cast: String,
    /// `[time, label]` of each step's end in this cast: where the player pauses.
    pub end_markers: Vec<(f64, String)>,
    pub duration: f64,
}

/// Where a step sits in the player's time, per terminal.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StepData {
    pub id: String,
    pub terminals: Vec<String>,
    pub starts: BTreeMap<String, f64>,
    pub ends: BTreeMap<String, f64>,
}

pub struct PageStep {
    pub data: StepData,
    pub number: usize,
    pub title: String,
    pub status: &'static str,
    pub message: Option<String>,
    /// The runbook's budget, in seconds.
    pub budget: Option<u32>,
    /// How long the step took in the rehearsal, in seconds.
    pub recorded: f64,
    /// Each quoted expectation, and whether the output showed it.
    pub expectations: Vec<(String, bool)>,
    /// (label, text) of each note and Q&A card (empty without `--notes`).
    pub notes: Vec<(String, String)>,
    pub posters: Vec<Poster>,
}

pub struct Poster {
    pub terminal: String,
    pub data_uri: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Data<'a> {
    terminals: &'a [PageTerminal],
    steps: Vec<&'a StepData>,
    initial: usize,
}

/// `text` safe in HTML text and in quoted attribute values (the runbook renderer's
/// escaping); controls (a terminal title can hold escape bytes) are not shown.
pub fn escape(text: &str) -> String {
    let shown: String = text
        .chars()
        .map(|c| {
            if c.is_control() && c != '\n' && c != '\t' {
                '\u{fffd}'
            } else {
                c
            }
        })
        .collect();
    crate::runbook::escape_html(&shown)
}

/// JSON that cannot end the `<script>` element it sits in.
fn script_json(value: &impl Serialize) -> String {
    let json = serde_json::to_string(value).unwrap_or_else(|_| "null".into());
    json.replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
        .replace('\u{2028}', "\\u2028")
        .replace('\u{2029}', "\\u2029")
}

/// `'sha256-...'`: the CSP source that lets exactly this inline script run.
fn hash_source(script: &str) -> String {
    format!(
        "'sha256-{}'",
        super::base64(&Sha256::digest(script.as_bytes()))
    )
}

/// The Content-Security-Policy of a page running exactly `scripts`.
pub fn csp(scripts: &[&str]) -> String {
    let hashes: Vec<String> = scripts.iter().map(|s| hash_source(s)).collect();
    format!(
        "default-src 'none'; script-src {} 'wasm-unsafe-eval'; style-src 'unsafe-inline'; \
         img-src data:; base-uri 'none'; form-action 'none'",
        hashes.join(" ")
    )
}

/// `m:ss`.
pub fn clock(seconds: f64) -> String {
    let s = seconds.max(0.0).round() as u64;
    format!("{}:{:02}", s / 60, s % 60)
}

pub fn render(page: &Page) -> String {
    let data = Data {
        terminals: &page.terminals,
        steps: page.steps.iter().map(|s| &s.data).collect(),
        initial: page.initial,
    };
    let policy = csp(&[GUARD_JS, page.player_js, PAGE_JS]);
    let mut h = String::with_capacity(
        page.player_js.len()
            + page
                .terminals
                .iter()
                .map(|t| t.cast.len() * 2)
                .sum::<usize>()
            + 64 * 1024,
    );
    let title = escape(&page.title);
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"{policy}\">\n\
         <meta name=\"referrer\" content=\"no-referrer\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"generator\" content=\"Cuedeck {cuedeck} (asciinema-player {player})\">\n\
         <title>{title} · Cuedeck backup</title>\n\
         <style>\n{player_css}\n</style>\n<style>\n{page_css}\n</style>\n\
         <script>{guard}</script>\n</head>\n<body>\n",
        guard = GUARD_JS,
        cuedeck = escape(&page.cuedeck),
        player = escape(&page.player_version),
        player_css = page.player_css,
        page_css = PAGE_CSS,
    );
    let passed = page
        .steps
        .iter()
        .filter(|s| matches!(s.status, "ok" | "ready"))
        .count();
    let started = page
        .started
        .get(..16)
        .unwrap_or(&page.started)
        .replace('T', " ");
    let _ = write!(
        h,
        "<header class=\"top\">\n<div class=\"brand\"><span class=\"mark\">▶</span> Cuedeck \
         <span class=\"tag\">offline backup</span></div>\n\
         <h1>{title}</h1>\n<div class=\"facts\"><span title=\"{rehearsal}\">rehearsed {started} UTC</span>\
         <span>{passed}/{n} steps passed</span>{cut}</div>\n</header>\n",
        rehearsal = escape(&format!("{} / {}", page.runbook, page.rehearsal)),
        started = escape(&started),
        n = page.steps.len(),
        cut = if page.finished {
            ""
        } else {
            "<span class=\"warn\">rehearsal cut short</span>"
        },
    );
    h.push_str(
        "<main>\n<section class=\"stage-col\">\n\
         <div class=\"now\"><span class=\"now-num\" id=\"now-num\"></span>\
         <span class=\"now-title\" id=\"now-title\"></span>\
         <nav class=\"tabs\" id=\"tabs\" aria-label=\"Terminals\" hidden></nav></div>\n\
         <div class=\"stage\" id=\"stage\"></div>\n\
         <p class=\"keys\"><kbd>Space</kbd> play / pause · <kbd>PgDn</kbd> next step · \
         <kbd>PgUp</kbd> previous step · click a step to jump to it</p>\n</section>\n",
    );
    let _ = write!(
        h,
        "<aside class=\"steps-col\">\n<ol class=\"steps{}\" id=\"steps\">\n",
        if page.notes { " with-notes" } else { "" }
    );
    for (i, s) in page.steps.iter().enumerate() {
        step_item(&mut h, i, s);
    }
    h.push_str("</ol>\n</aside>\n</main>\n");
    let _ = writeln!(
        h,
        "<script type=\"application/json\" id=\"cuedeck-data\">{}</script>",
        script_json(&data)
    );
    let _ = write!(
        h,
        "<script>{}</script>\n<script>{}</script>\n</body>\n</html>\n",
        page.player_js, PAGE_JS
    );
    h
}

fn step_item(h: &mut String, i: usize, s: &PageStep) {
    let status_class = s.status.replace(' ', "-");
    let _ = write!(
        h,
        "<li class=\"step st-{status_class}\" data-index=\"{i}\" data-step-id=\"{id}\" tabindex=\"0\">\n\
         <span class=\"num\">{num}</span>\n<div class=\"body\">\n\
         <div class=\"title\">{title}</div>\n<div class=\"meta\">\
         <span class=\"status status-{status_class}\">{status}</span>",
        id = escape(&s.data.id),
        num = s.number,
        title = escape(&s.title),
        status = escape(s.status),
    );
    match s.budget {
        Some(b) => {
            let over = s.recorded > f64::from(b);
            let _ = write!(
                h,
                "<span class=\"budget{}\" title=\"recorded {} of a {} budget\">{} / {}</span>",
                if over { " over" } else { "" },
                clock(s.recorded),
                clock(f64::from(b)),
                clock(s.recorded),
                clock(f64::from(b)),
            );
        }
        None => {
            let _ = write!(
                h,
                "<span class=\"budget\" title=\"recorded (no budget)\">{}</span>",
                clock(s.recorded)
            );
        }
    }
    if s.data.terminals.len() > 1 || s.data.terminals.first().is_some_and(|t| t != "main") {
        let _ = write!(
            h,
            "<span class=\"terms\">{}</span>",
            escape(&s.data.terminals.join(" · "))
        );
    }
    h.push_str("</div>\n");
    if let Some(m) = &s.message {
        let _ = writeln!(h, "<p class=\"message\">{}</p>", escape(m));
    }
    if !s.expectations.is_empty() {
        h.push_str("<ul class=\"expect\">");
        for (text, met) in &s.expectations {
            let _ = write!(
                h,
                "<li class=\"{}\">{} <code>{}</code></li>",
                if *met { "met" } else { "unmet" },
                if *met { "✓" } else { "✗" },
                escape(text)
            );
        }
        h.push_str("</ul>\n");
    }
    if !s.notes.is_empty() {
        h.push_str("<dl class=\"notes\">");
        for (label, text) in &s.notes {
            if !label.trim().is_empty() {
                let _ = write!(h, "<dt>{}</dt>", escape(label));
            }
            let _ = write!(h, "<dd>{}</dd>", escape(text));
        }
        h.push_str("</dl>\n");
    }
    for p in &s.posters {
        let _ = writeln!(
            h,
            "<figure class=\"poster\"><img src=\"{}\" alt=\"{} at the end of step {}\">\
             <figcaption>{} at the end</figcaption></figure>",
            escape(&p.data_uri),
            escape(&p.terminal),
            s.number,
            escape(&p.terminal),
        );
    }
    h.push_str("</div>\n</li>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            escape("<img src=x onerror='a'>&\""),
            "&lt;img src=x onerror=&#39;a&#39;&gt;&amp;&quot;"
        );
    }

    #[test]
    fn script_json_cannot_close_the_element() {
        let j = script_json(&"</script><!-- &");
        assert!(
            !j.contains('<') && !j.contains('>') && !j.contains('&'),
            "{j}"
        );
        let back: String = serde_json::from_str(&j).expect("still JSON");
        assert_eq!(back, "</script><!-- &");
    }

    #[test]
    fn the_policy_allows_only_the_hashed_scripts() {
        let p = csp(&["a()", "b()"]);
        assert!(
            p.starts_with("default-src 'none'; script-src 'sha256-"),
            "{p}"
        );
        assert_eq!(p.matches("'sha256-").count(), 2);
        assert!(!p.contains(" 'unsafe-eval'") && p.contains(" 'wasm-unsafe-eval'"));
        assert!(!p.contains("script-src 'unsafe-inline'"));
    }

    #[test]
    fn clocks() {
        assert_eq!(clock(0.0), "0:00");
        assert_eq!(clock(61.4), "1:01");
    }
}
