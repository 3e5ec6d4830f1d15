//! A per-step snapshot of a live terminal: the screen model of a real shell shows a
//! secret; the snapshot drawn from it (as a rehearsal draws it) does not.

mod terminal_common;

use cuedeck_core::capture::snapshot::Cells;
use cuedeck_core::capture::svg;
use cuedeck_core::record::redact::Redactor;
use terminal_common::{session, WAIT};

#[test]
fn a_live_screens_snapshot_is_redacted() {
    let (s, _home) = session("main");
    s.run_command("echo \"token sk-abcd1234 shown\"", WAIT)
        .expect("runs");
    let screen = s.snapshot();
    assert!(
        screen.text.contains("token sk-abcd1234 shown"),
        "{}",
        screen.text
    );
    let cells = Cells::of_screen(&screen, &Redactor::new(&["sk-[a-z0-9]{8}".to_string()]));
    let shown = svg::render(&cells, "main");
    assert!(!shown.contains("abcd1234"), "{shown}");
    assert!(shown.contains("token *********** shown"), "{shown}");
    // The rest of the screen is drawn as the terminal shows it.
    let unredacted = Cells::of_screen(&screen, &Redactor::default());
    assert_eq!(
        (0..unredacted.size.rows)
            .map(|r| unredacted.row_text(r).trim_end().to_string())
            .collect::<Vec<_>>()
            .join("\n")
            .trim_end(),
        screen.text.trim_end()
    );
}
