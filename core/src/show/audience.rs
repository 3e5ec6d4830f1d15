//! What the audience window (the projector) receives instead of the runbook.
//!
//! The audience must never see speaker notes, talking points, Q&A, expectations,
//! pitches, metric targets, checklists or anything the runbook's `redact` patterns
//! match. That holds by construction: the audience window is never sent the
//! [`Runbook`] model, only an [`AudienceView`] built from it here, which holds no
//! presenter fields at all, and whose strings are all masked. It holds no step or
//! block id either (ids are slugs of titles and names, which may hold a secret):
//! steps are known by their position, blocks by `b0`, `b1`, ...; and the show state
//! it receives is [`ShowState::for_audience`].
//!
//! [`ShowState::for_audience`]: super::state::ShowState::for_audience

use serde::Serialize;

use crate::record::redact::Redactor;
use crate::runbook::{BlockKind, CodeBlock, Runbook, Step};

/// The runbook as the audience may see it.
#[derive(Serialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct AudienceView {
    /// The runbook's title, redacted.
    pub title: String,
    /// Every step of the runbook, in order (so the audience follows the presenter's
    /// position and count); a step that is all presenter content has an empty `html`.
    pub steps: Vec<AudienceStep>,
}

#[derive(Serialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct AudienceStep {
    /// 1-based position in the runbook (the show state's `current` + 1).
    pub number: usize,
    pub title: String,
    pub breadcrumbs: Vec<String>,
    /// The step's Markdown without its presenter parts, redacted, as safe HTML; each
    /// code block it keeps is a `<div class="cue-block" data-block="ID"></div>`.
    pub html: String,
    /// The blocks `html` holds a placeholder for, in order.
    pub blocks: Vec<AudienceBlock>,
    /// The terminals the step's runnable blocks use, in first-use order (`main` for a
    /// block that names none): the UI's `blockTerminals` over them. All of them, as
    /// their output is on screen, even for a block `html` leaves out.
    pub terminals: Vec<String>,
}

#[derive(Serialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct AudienceBlock {
    pub id: String,
    pub lang: Option<String>,
    pub kind: BlockKind,
    /// The block's text as written, redacted. (The model keeps no hidden lines.)
    pub source: String,
}

impl AudienceView {
    /// The audience's view of `runbook`, every string masked with its front matter's
    /// `redact` patterns.
    pub fn of(runbook: &Runbook) -> Self {
        let redactor = Redactor::for_runbook(runbook);
        Self {
            title: redact(&redactor, &runbook.title),
            steps: runbook
                .steps
                .iter()
                .enumerate()
                .map(|(i, step)| AudienceStep::of(step, i + 1, &redactor))
                .collect(),
        }
    }
}

impl AudienceStep {
    fn of(step: &Step, number: usize, redactor: &Redactor) -> Self {
        let (html, shown) = step.audience_content(redactor);
        Self {
            number,
            title: redact(redactor, &step.title),
            breadcrumbs: step
                .breadcrumbs
                .iter()
                .map(|b| redact(redactor, b))
                .collect(),
            html,
            blocks: shown
                .into_iter()
                .map(|i| AudienceBlock::of(i, &step.blocks[i], redactor))
                .collect(),
            terminals: step_terminals(step),
        }
    }
}

impl AudienceBlock {
    fn of(index: usize, block: &CodeBlock, redactor: &Redactor) -> Self {
        Self {
            id: format!("b{index}"),
            lang: block.lang.as_deref().map(|l| redact(redactor, l)),
            kind: block.kind,
            source: redact(redactor, &block.display),
        }
    }
}

fn redact(redactor: &Redactor, text: &str) -> String {
    redactor.redact(text).into_owned()
}

/// The terminals a step's runnable blocks run or type in, in first-use order: per
/// block its commands' terminals and its input lines' targets, else its own
/// terminal, else `main` (the UI's `blockTerminals`).
fn step_terminals(step: &Step) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for block in step.blocks.iter().filter(|b| b.kind != BlockKind::Shown) {
        let mut names: Vec<&str> = block
            .commands
            .iter()
            .map(|c| c.terminal.as_str())
            .chain(block.input.iter().filter_map(|l| l.target.as_deref()))
            .filter(|t| !t.is_empty())
            .collect();
        if names.is_empty() {
            names.push(if block.terminal.is_empty() {
                "main"
            } else {
                &block.terminal
            });
        }
        for name in names {
            if !out.iter().any(|n| n == name) {
                out.push(name.to_string());
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runbook::parse_str;

    const SECRET_RUNBOOK: &str = r#"---
title: "Keys sk-title1"
redact: ["sk-\\w+"]
---

# Keys sk-title1

## Rotate sk-crumb2

### Use key sk-step3 (1 minute)

The old key sk-prose4 stops working, as `sk-code5` shows.

```bash {"name": "rotate"}
export KEY=sk-block6
curl -H "Authorization: $KEY" http://localhost:9000/
```

**Talking Points:**

- Say the key sk-note7 out loud

```
> typed
```
"#;

    #[test]
    fn every_string_is_redacted() {
        let runbook = parse_str(SECRET_RUNBOOK, None);
        let view = AudienceView::of(&runbook);
        let step = &view.steps[0];
        // Nothing in the view holds a secret, ids included (they are opaque).
        let json = serde_json::to_string(&view).expect("serialises");
        assert!(!json.contains("sk-"), "{json}");
        assert_eq!(view.title, "Keys *********");
        assert_eq!(step.title, "Use key ********");
        assert_eq!(step.breadcrumbs, ["Keys *********", "Rotate *********"]);
        assert!(
            step.html.contains("The old key ********* stops"),
            "{}",
            step.html
        );
        assert!(step.html.contains("<code>********</code>"), "{}", step.html);
        assert!(!step.html.contains("Talking"), "{}", step.html);
        assert_eq!(step.blocks[0].id, "b0");
        assert!(step.html.contains(r#"data-block="b0""#), "{}", step.html);
        assert_eq!(
            step.blocks[0].source.lines().next(),
            Some("export KEY=*********")
        );
        // The model still holds the secrets: only the view is masked.
        assert!(runbook.steps[0].blocks[0].source.contains("sk-block6"));
    }

    #[test]
    fn serialises_camel_case() {
        let runbook = parse_str(SECRET_RUNBOOK, None);
        let value = serde_json::to_value(AudienceView::of(&runbook)).expect("serialises");
        let step = &value["steps"][0];
        let keys: Vec<&str> = step
            .as_object()
            .expect("a step object")
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            keys.len(),
            6,
            "number, title, breadcrumbs, html, blocks, terminals: {keys:?}"
        );
        for key in [
            "number",
            "title",
            "breadcrumbs",
            "html",
            "blocks",
            "terminals",
        ] {
            assert!(step.get(key).is_some(), "{key} missing in {step}");
        }
        assert_eq!(step["number"], 1);
        assert_eq!(step["blocks"][0]["kind"], "run");
        assert_eq!(step["blocks"][0]["lang"], "bash");
        assert_eq!(step["blocks"][1]["kind"], "input");
        // The presenter's fields are not there to leak.
        for field in [
            "notes",
            "questions",
            "expectations",
            "pitch",
            "targets",
            "markdown",
        ] {
            assert!(step.get(field).is_none(), "{field} in {step}");
        }
        let mut keys = Vec::new();
        all_keys(&value, &mut keys);
        assert!(keys.iter().all(|k| !k.contains('_')), "{keys:?}");
    }

    fn all_keys(value: &serde_json::Value, out: &mut Vec<String>) {
        match value {
            serde_json::Value::Object(map) => {
                for (k, v) in map {
                    out.push(k.clone());
                    all_keys(v, out);
                }
            }
            serde_json::Value::Array(items) => items.iter().for_each(|v| all_keys(v, out)),
            _ => {}
        }
    }

    #[test]
    fn terminals_in_first_use_order() {
        let runbook = parse_str(
            "# T\n\n## Two at once (1 minute)\n\n```bash\n# Terminal 1\necho a\n\n# Terminal 2\necho b\n```\n\n\
             ```bash {\"name\": \"srv\", \"background\": true, \"terminal\": \"server\"}\nserve\n```\n\n\
             ```bash\necho main again\n```\n\n```text\nshown only\n```\n\n\
             ## Nothing runs (1 minute)\n\n```text\njust shown\n```\n",
            None,
        );
        let view = AudienceView::of(&runbook);
        assert_eq!(
            view.steps[0].terminals,
            ["Terminal 1", "Terminal 2", "server", "main"]
        );
        assert_eq!(view.steps[0].blocks.len(), 4);
        assert!(view.steps[1].terminals.is_empty());
        assert_eq!(view.steps[1].number, 2);
    }

    #[test]
    fn fixtures_leave_presenter_blocks_out() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let timeline =
            crate::runbook::load(&root.join("tests/fixtures/timeline.md")).expect("fixture loads");
        let view = AudienceView::of(&timeline);
        assert_eq!(view.steps.len(), timeline.steps.len());
        let recovery = view
            .steps
            .iter()
            .find(|s| s.title == "Demo 2: Recovery")
            .expect("a recovery step");
        // "### Result" holds the expected output: neither its text nor its block is sent.
        assert!(recovery
            .blocks
            .iter()
            .all(|b| !b.source.contains("Lag rises")));
        assert_eq!(recovery.blocks.len(), 1);
        let recorded =
            crate::runbook::load(&root.join("tests/fixtures/recorded.md")).expect("fixture loads");
        let json = serde_json::to_string(&AudienceView::of(&recorded)).expect("serialises");
        assert!(!json.contains("secret-abc123"), "{json}");
        assert!(json.contains(r#"echo \"token *************\""#), "{json}");
    }
}
