//! A step's Markdown to safe HTML for the UI.
//!
//! Safe by construction rather than by cleaning afterwards: raw HTML in the runbook
//! is rendered as visible text, link and image targets are limited to http(s),
//! mailto and in-page anchors, and pulldown-cmark escapes all other text and
//! attributes. A runbook is untrusted input; nothing in it may run script in the
//! window (the UI sanitizes again, and the CSP forbids inline script).
//! Code blocks become placeholders the UI fills from the model, with Run buttons.

use pulldown_cmark::{html, CowStr, Event, Parser, Tag, TagEnd};

use super::markdown::options;

/// Renders `markdown`; the n-th code block becomes a placeholder for `block_ids[n]`.
pub fn step_html(markdown: &str, block_ids: &[String]) -> String {
    let mut in_code = false;
    let mut index = 0;
    let events = Parser::new_ext(markdown, options()).filter_map(|event| match event {
        Event::Start(Tag::CodeBlock(_)) => {
            in_code = true;
            let id = block_ids.get(index).map_or("", String::as_str);
            index += 1;
            Some(Event::Html(
                format!(
                    "<div class=\"cue-block\" data-block=\"{}\"></div>\n",
                    escape(id)
                )
                .into(),
            ))
        }
        Event::End(TagEnd::CodeBlock) => {
            in_code = false;
            None
        }
        _ if in_code => None,
        // Raw HTML is shown as the text the author wrote, never interpreted.
        Event::Html(raw) | Event::InlineHtml(raw) => Some(Event::Text(raw)),
        Event::Start(Tag::Link {
            link_type,
            dest_url,
            title,
            id,
        }) => Some(Event::Start(Tag::Link {
            link_type,
            dest_url: safe_url(dest_url),
            title,
            id,
        })),
        Event::Start(Tag::Image {
            link_type,
            dest_url,
            title,
            id,
        }) => Some(Event::Start(Tag::Image {
            link_type,
            dest_url: safe_url(dest_url),
            title,
            id,
        })),
        other => Some(other),
    });
    let mut out = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut out, events);
    out
}

/// Keeps http(s), mailto and `#anchor` targets; anything else (javascript:, data:,
/// file:, relative paths that would navigate the app) becomes an inert `#`.
fn safe_url(url: CowStr<'_>) -> CowStr<'_> {
    let lower = url.trim_start().to_ascii_lowercase();
    let allowed = ["http://", "https://", "mailto:", "#"]
        .iter()
        .any(|p| lower.starts_with(p));
    if allowed {
        url
    } else {
        CowStr::Borrowed("#")
    }
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_blocks_become_placeholders() {
        let html = step_html("Intro\n\n```bash\nls\n```\n", &["b1".into()]);
        assert!(html.contains("<p>Intro</p>"));
        assert!(
            html.contains(r#"<div class="cue-block" data-block="b1"></div>"#),
            "{html}"
        );
        assert!(!html.contains("ls"));
    }

    #[test]
    fn raw_html_is_shown_as_text() {
        let html = step_html(
            "<script>alert(1)</script>\n\nSee <img src=x onerror=alert(1)> here\n\n<div class=\"cue-block\" onclick=\"x()\">",
            &[],
        );
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("<img"), "{html}");
        assert!(!html.contains("<div"), "{html}");
        assert!(html.contains("&lt;script&gt;"), "{html}");
    }

    #[test]
    fn only_safe_link_targets_survive() {
        let html = step_html(
            "[a](javascript:alert(1)) [b](https://example.org) ![c](data:text/html,x) [d](#top) [e](other.md)",
            &[],
        );
        assert!(!html.contains("javascript:"), "{html}");
        assert!(!html.contains("data:"), "{html}");
        assert!(!html.contains("other.md"), "{html}");
        assert!(html.contains(r#"href="https://example.org""#), "{html}");
        assert!(html.contains(r##"href="#top""##), "{html}");
    }

    #[test]
    fn block_ids_are_escaped() {
        let html = step_html("```\nx\n```\n", &["a\"><script>".into()]);
        assert!(!html.contains("<script>"), "{html}");
    }
}
