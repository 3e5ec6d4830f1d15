//! Nothing in a document is lost: for random Markdown built of the shapes runbooks
//! use (lists at any depth, checklists, blockquotes, fences of backticks or tildes at
//! any indentation, indented code, CRLF, no final newline) and for fixtures mutated as
//! hand edits break them, the model holds exactly the code blocks pulldown-cmark
//! reports, each once, each at its opening fence's line.

mod mutate_common;

use proptest::prelude::*;
use pulldown_cmark::{CodeBlockKind, Event, Options, Parser, Tag};

use cuedeck_core::runbook::{self, lint, Severity};

/// The Markdown options the parser reads runbooks with.
fn options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_FOOTNOTES
}

/// Line breaks as the parser counts them, and front matter blanked as it reads it.
fn body_of(text: &str) -> String {
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    if lines.first().map(|l| l.trim_end()) != Some("---") {
        return text;
    }
    let Some(end) = lines
        .iter()
        .skip(1)
        .position(|l| matches!(l.trim_end(), "---" | "..."))
    else {
        return text;
    };
    let mut body = "\n".repeat(end + 2);
    body.extend(lines.iter().skip(end + 2).copied());
    body
}

/// pulldown-cmark's code blocks: (line of the start, fenced).
fn reported(body: &str) -> Vec<(usize, bool)> {
    Parser::new_ext(body, options())
        .into_offset_iter()
        .filter_map(|(event, range)| match event {
            Event::Start(Tag::CodeBlock(kind)) => Some((
                1 + body[..range.start].matches('\n').count(),
                matches!(kind, CodeBlockKind::Fenced(_)),
            )),
            _ => None,
        })
        .collect()
}

fn assert_kept(text: &str) {
    let body = body_of(text);
    let mut wanted = reported(&body);
    let r = runbook::parse_str(text, None);
    let mut got: Vec<usize> = r
        .steps
        .iter()
        .flat_map(|s| &s.blocks)
        .map(|b| b.line)
        .collect();
    assert_eq!(
        r.code_blocks_in_source,
        wanted.len(),
        "count in the model's figure"
    );
    assert_eq!(got.len(), wanted.len(), "blocks in the model\n{text:?}");
    let source_lines: Vec<&str> = body.split('\n').collect();
    for (line, fenced) in &wanted {
        if *fenced {
            let at = source_lines.get(line - 1).copied().unwrap_or("");
            assert!(
                at.contains("```") || at.contains("~~~"),
                "line {line} opens the fence: {at:?}\n{text:?}"
            );
        }
    }
    got.sort_unstable();
    wanted.sort_unstable();
    let wanted: Vec<usize> = wanted.into_iter().map(|(l, _)| l).collect();
    assert_eq!(got, wanted, "each block once, at its line\n{text:?}");
    assert!(
        !lint::lint(&r)
            .iter()
            .any(|d| d.severity == Severity::Error && d.message.starts_with("code blocks:")),
        "no count mismatch reported"
    );
}

fn fence() -> impl Strategy<Value = String> {
    let info = prop::sample::select(vec![
        "",
        "bash",
        "sh",
        "console",
        "text",
        "yaml",
        "{\"name\": \"x\"}",
        "bash {\"terminal\": \"t\"}",
    ]);
    let body = prop::collection::vec(
        prop::sample::select(vec![
            "kubectl get pods",
            "NAME   READY   STATUS",
            "web-1  1/1     Running",
            "$ echo hi",
            "hi",
            "// a note",
            "# comment",
            "> hello",
            "apiVersion: v1",
            "",
            "cat <<EOF",
            "EOF",
        ]),
        0..5,
    );
    (
        prop::sample::select(vec!['`', '~']),
        3usize..6,
        0usize..4,
        info,
        body,
        any::<bool>(),
    )
        .prop_map(|(ch, len, indent, info, body, closed)| {
            let pad = " ".repeat(indent);
            let fence: String = std::iter::repeat_n(ch, len).collect();
            let mut s = format!("{pad}{fence}{info}\n");
            for line in body {
                s.push_str(&format!("{pad}{line}\n"));
            }
            if closed {
                s.push_str(&format!("{pad}{fence}\n"));
            }
            s
        })
}

fn leaf() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z ]{1,20}".prop_map(|t| format!("{t}\n")),
        (1usize..4, "[A-Za-z ]{1,12}").prop_map(|(l, t)| format!("{} {t}\n", "#".repeat(l))),
        fence(),
        fence(),
        prop::collection::vec("[a-z $]{1,10}", 1..3)
            .prop_map(|lines| lines.iter().map(|l| format!("    {l}\n")).collect()),
        Just("\n".to_string()),
        Just("**Say:**\n".to_string()),
        Just("| Time | Part |\n|---|---|\n| 5 min | Intro |\n".to_string()),
    ]
}

/// Puts `parts` under a list marker (or a quote), indented as people do, sometimes
/// too little.
fn contain(marker: &str, parts: &[String], indent: usize) -> String {
    let text: String = parts.concat();
    let pad = " ".repeat(indent);
    let mut out = String::new();
    for (i, line) in text.lines().enumerate() {
        // The marker opens the first line; a quote marks every line.
        if i == 0 || marker.starts_with('>') {
            out.push_str(marker);
        } else if !line.is_empty() {
            out.push_str(&pad);
        }
        out.push_str(line);
        out.push('\n');
    }
    out.push('\n');
    out
}

fn node() -> impl Strategy<Value = String> {
    leaf().prop_recursive(4, 32, 4, |inner| {
        let markers = prop::sample::select(vec![
            "- ", "* ", "1. ", "2) ", "10. ", "- [ ] ", "- [x] ", "> ", ">",
        ]);
        (markers, prop::collection::vec(inner, 1..4), 0usize..4).prop_map(
            |(marker, parts, short)| {
                let indent = marker.len().saturating_sub(short % 2 * short);
                contain(marker, &parts, indent)
            },
        )
    })
}

fn document() -> impl Strategy<Value = String> {
    (
        prop::collection::vec(node(), 1..12),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(nodes, crlf, no_final_newline)| {
            let mut text = nodes.concat();
            if no_final_newline {
                text.truncate(text.trim_end().len());
            }
            if crlf {
                text = text.replace('\n', "\r\n");
            }
            text
        })
}

const FIXTURES: &[&str] = &[
    include_str!("fixtures/protocol.md"),
    include_str!("fixtures/cluster.md"),
    include_str!("fixtures/runme.md"),
    include_str!("fixtures/timed.md"),
    include_str!("fixtures/timeline.md"),
    include_str!("fixtures/odd.md"),
    include_str!("fixtures/styles/preflight-checklist.md"),
    include_str!("fixtures/styles/ordered-only.md"),
    include_str!("fixtures/styles/interview-quotes.md"),
];

const FRAGMENTS: &[&str] = &[
    "```\n",
    "~~~\n",
    "  ```bash\n",
    "> ```sh\n",
    "- [ ] ```bash\n",
    "1. ",
    "   ",
    "\t",
    "> ",
    "- [ ] ",
    "\n",
    "\r\n",
    "    ",
    "````\n",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, .. ProptestConfig::default() })]

    #[test]
    fn random_documents_keep_every_block(text in document()) {
        assert_kept(&text);
    }

    #[test]
    fn mutated_fixtures_keep_every_block(
        which in 0..FIXTURES.len(),
        edits in prop::collection::vec((any::<prop::sample::Index>(), 0..FRAGMENTS.len(), 0usize..30, any::<bool>()), 1..6),
    ) {
        let text = mutate_common::mutate(FIXTURES[which], FRAGMENTS, edits);
        assert_kept(&text);
    }
}
