//! The runbook as the presenter window shows it. A presenter's screen is shared or
//! captured too (a screen share, an `S` screenshot), so unless the front matter says
//! `redact_presenter: false`, what `redact` matches is masked there as in the
//! audience window: in the steps' text, the blocks' source, the notes, the titles
//! and the diagnostics. The terminals run the runbook as written; only what the
//! window is given is masked. Identifiers (a step's or block's id, a slug of its
//! title) stay as they are: the window names what it means by them and never
//! shows them.

use crate::record::redact::{redact_json_except, Redactor};
use crate::runbook::{masked_step_html, Runbook};

/// Fields the window sends back to name a step, a block or a terminal (or that name
/// the file): left as they are, so a command from the window finds what it means.
const IDENTIFIERS: &[&str] = &["id", "terminal", "terminals", "path"];

/// Why the presenter's runbook could not be made.
#[derive(Debug, thiserror::Error)]
pub enum PresentError {
    /// A pattern masks part of the model's own vocabulary (a kind, a status): the
    /// masked model no longer reads back. The window is given nothing rather than
    /// the unmasked text.
    #[error("the redact patterns mask words the runbook's model needs ({0}); make them narrower")]
    Masked(String),
}

/// `runbook` as the presenter window shows it: masked with the runbook's patterns
/// (see the [module docs](self)), or as it is when nothing is to be masked there.
pub fn presenter_runbook(runbook: &Runbook) -> Result<Runbook, PresentError> {
    let Some(redactor) = Redactor::for_presenter(runbook) else {
        return Ok(runbook.clone());
    };
    let mut value =
        serde_json::to_value(runbook).map_err(|e| PresentError::Masked(e.to_string()))?;
    redact_json_except(&redactor, &mut value, IDENTIFIERS);
    let mut shown: Runbook =
        serde_json::from_value(value).map_err(|e| PresentError::Masked(e.to_string()))?;
    // The rendered text is made again from the Markdown, masked as it renders: masking
    // the HTML itself could cut through its markup.
    for (shown, step) in shown.steps.iter_mut().zip(&runbook.steps) {
        let ids: Vec<String> = step.blocks.iter().map(|b| b.id.clone()).collect();
        shown.html = masked_step_html(&step.markdown, &ids, &redactor);
    }
    shown.front_matter.env_lines = runbook.front_matter.env_lines.clone();
    Ok(shown)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "sk-presenterkey";

    fn runbook(extra_front_matter: &str) -> Runbook {
        crate::runbook::parse_str(
            &format!(
                "---\nredact: [\"sk-[a-z]+\"]\n{extra_front_matter}---\n# Demo {SECRET}\n\n\
                 ## Log in with {SECRET}\n\nUse `{SECRET}` as the key, see [the docs](https://example.com/?k={SECRET}).\n\n\
                 ```bash\ncurl -H 'Authorization: Bearer {SECRET}' http://127.0.0.1:1/\n```\n\n\
                 **Talking points:** the key {SECRET} is a test key.\n"
            ),
            None,
        )
    }

    #[test]
    fn nothing_the_window_shows_holds_a_secret() {
        let original = runbook("");
        let shown = presenter_runbook(&original).expect("masked");
        // Identifiers stay as they are (a window names a step or block by them, and
        // never shows them): everything else is masked.
        let mut value = serde_json::to_value(&shown).expect("json");
        strip_identifiers(&mut value);
        // (And the block placeholders in the HTML, named by the block's id.)
        let json = value
            .to_string()
            .replace(&original.steps[0].blocks[0].id, "");
        assert!(!json.contains("presenterkey"), "{json}");
        let step = &shown.steps[0];
        assert!(step.title.contains("***"), "{}", step.title);
        assert!(
            step.blocks[0].source.contains("Bearer ***************"),
            "{}",
            step.blocks[0].source
        );
        assert!(
            step.html.contains("<code>***************</code>"),
            "{}",
            step.html
        );
        assert!(
            step.html
                .contains(&format!("data-block=\"{}\"", step.blocks[0].id)),
            "placeholders stay: {}",
            step.html
        );
        assert_eq!(step.id, original.steps[0].id, "identifiers stay");
        assert_eq!(step.blocks[0].id, original.steps[0].blocks[0].id);
        assert_eq!(
            original.steps[0].blocks[0].source.len(),
            step.blocks[0].source.len(),
            "a mask keeps the text's length"
        );
    }

    fn strip_identifiers(value: &mut serde_json::Value) {
        match value {
            serde_json::Value::Object(map) => {
                map.retain(|k, _| !IDENTIFIERS.contains(&k.as_str()));
                map.values_mut().for_each(strip_identifiers);
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(strip_identifiers),
            _ => {}
        }
    }

    #[test]
    fn unmasked_when_the_presenter_may_see_secrets_or_nothing_is_marked() {
        let open = runbook("redact_presenter: false\n");
        assert_eq!(presenter_runbook(&open).expect("as is"), open);
        let plain =
            crate::runbook::parse_str("# Demo\n\n## One\n\n```bash\necho sk-abc\n```\n", None);
        assert_eq!(presenter_runbook(&plain).expect("as is"), plain);
    }
}
