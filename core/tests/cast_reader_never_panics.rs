//! The cast reader takes untrusted files (a recording from anywhere, one cut by a
//! crash): it never panics, and a valid cast cut at any byte reads as a prefix of it.

use std::path::Path;

use cuedeck_core::record::cast::{self, Event, Header};
use proptest::prelude::*;

fn valid_cast(outputs: &[(u16, String)]) -> String {
    let mut text = serde_json::to_string(&Header::v2(80, 24)).expect("header");
    text.push('\n');
    let mut time = 0.0;
    for (gap, data) in outputs {
        time += f64::from(*gap) / 1000.0;
        text.push_str(&Event::output(time, data.clone()).to_line());
        text.push('\n');
    }
    text
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_text_never_panics(text in ".{0,400}") {
        let _ = cast::parse(&text, Path::new("fuzz.cast"));
    }

    #[test]
    fn arbitrary_lines_after_a_header_never_panic(lines in prop::collection::vec("[\\[\\]0-9.,\" oimrx{}a-z\\\\-]{0,40}", 0..20)) {
        let text = format!("{{\"version\":2,\"width\":80,\"height\":24}}\n{}", lines.join("\n"));
        let cast = cast::parse(&text, Path::new("fuzz.cast")).expect("the header reads");
        prop_assert!(cast.events.windows(2).all(|w| w[0].time <= w[1].time));
    }

    #[test]
    fn a_cut_cast_reads_as_a_prefix(
        outputs in prop::collection::vec((0u16..2000, "\\PC{0,12}"), 1..12),
        cut in any::<prop::sample::Index>(),
    ) {
        let text = valid_cast(&outputs);
        let full = cast::parse(&text, Path::new("full.cast")).expect("valid");
        prop_assert_eq!(full.events.len(), outputs.len());
        let header_end = text.find('\n').expect("a header line") + 1;
        let mut at = header_end + cut.index(text.len() - header_end + 1);
        while !text.is_char_boundary(at) {
            at -= 1;
        }
        let part = cast::parse(&text[..at], Path::new("cut.cast")).expect("the header is whole");
        prop_assert!(part.skipped.is_empty(), "{:?}", part.skipped);
        prop_assert!(part.events.len() <= full.events.len());
        prop_assert_eq!(&full.events[..part.events.len()], &part.events[..]);
    }
}
