//! A step's Markdown to sanitized HTML for the UI.
//!
//! Code blocks become placeholders the UI fills from the model (with Run buttons),
//! and everything passes an allow-list sanitizer: a runbook is untrusted input, and
//! nothing in it may run script in the window.

use std::sync::LazyLock;

use pulldown_cmark::{html, Event, Parser, Tag, TagEnd};

use super::markdown::options;

static SANITIZER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut b = ammonia::Builder::default();
    b.add_tags(["div"])
        .add_tag_attributes("div", ["data-block"])
        .add_allowed_classes("div", ["cue-block"])
        .link_rel(Some("noopener noreferrer"))
        .url_schemes(["http", "https", "mailto"].into_iter().collect());
    b
});

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
                    escape_attr(id)
                )
                .into(),
            ))
        }
        Event::End(TagEnd::CodeBlock) => {
            in_code = false;
            None
        }
        _ if in_code => None,
        other => Some(other),
    });
    let mut raw = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut raw, events);
    SANITIZER.clean(&raw).to_string()
}

fn escape_attr(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
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
    fn script_never_survives() {
        let html = step_html(
            "<script>alert(1)</script>\n\n<img src=x onerror=alert(1)>\n\n[x](javascript:alert(1))\n\n<div class=\"cue-block\" onclick=\"x()\">",
            &[],
        );
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("onerror"), "{html}");
        assert!(!html.contains("javascript:"), "{html}");
        assert!(!html.contains("onclick"), "{html}");
    }
}
