//! No input makes the parser (or the lint over its model) panic: random text, and
//! fixture runbooks mutated the way hand edits break Markdown.

mod mutate_common;
use proptest::prelude::*;

use cuedeck_core::runbook::{self, lint};

const FIXTURES: &[&str] = &[
    include_str!("fixtures/protocol.md"),
    include_str!("fixtures/cluster.md"),
    include_str!("fixtures/runme.md"),
    include_str!("fixtures/timed.md"),
    include_str!("fixtures/timeline.md"),
    include_str!("fixtures/odd.md"),
];

/// Fragments that stress the parser's own rules when spliced in anywhere.
const FRAGMENTS: &[&str] = &[
    "```",
    "~~~",
    "```bash {",
    "{\"name\": ",
    "}",
    "\n---\n",
    "<<'EOF'\n",
    "\\\n",
    "'",
    "\"",
    "# Terminal 2\n",
    "> ",
    "Q: x → A: y",
    "**Q: ",
    "- [ ] ",
    "| 0:00-1:00 | x |\n",
    "(5 minutes)",
    "http://localhost:99999/health",
    "$ ",
    "\r",
    "\r\n",
    "\t",
    "    ",
    "1. ",
    "**",
    "`",
    "é",
    "🚀",
    "$((",
    "case x in",
    "{ name=",
    "\u{0}",
];

fn check(text: &str) {
    let r = runbook::parse_str(text, None);
    let _ = lint::lint(&r);
    serde_json::to_string(&r).expect("the model always serializes");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, .. ProptestConfig::default() })]

    #[test]
    fn random_text(text in "\\PC{0,400}") {
        check(&text);
    }

    #[test]
    fn random_markdown_shapes(text in "([#>\\-*`~{}\\[\\]|:\"'$\\\\ \n\r\tQA0-9a-z]|```|~~~|<<){0,300}") {
        check(&text);
    }

    #[test]
    fn mutated_fixtures(
        which in 0..FIXTURES.len(),
        edits in prop::collection::vec((any::<prop::sample::Index>(), 0..FRAGMENTS.len(), 0usize..40, any::<bool>()), 1..8),
    ) {
        let text = mutate_common::mutate(FIXTURES[which], FRAGMENTS, edits);
        check(&text);
    }
}
