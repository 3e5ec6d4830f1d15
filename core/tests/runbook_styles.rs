//! Runbooks as other people write them (issue 14): one fixture per style found in
//! public demo runbooks, in `tests/fixtures/styles/`, and one assertion per rule each
//! exercises. Every fixture also keeps every code block (`every_fixture_keeps_every_block`).

use std::path::{Path, PathBuf};

use cuedeck_core::runbook::{
    self, lint, BlockKind, BudgetSource, CodeBlock, NoteKind, Runbook, Severity, Step,
};

const STYLES: &[&str] = &[
    "checklist-only.md",
    "crlf.md",
    "interview-quotes.md",
    "no-final-newline.md",
    "no-h1.md",
    "ordered-only.md",
    "pasted-output.md",
    "preflight-checklist.md",
    "presenter-script.md",
    "runme-tutorial.md",
    "talking-points-bullets.md",
    "terminal-windows.md",
    "timing-guide.md",
    "untagged-commands.md",
];

fn path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/styles")
        .join(name)
}

fn fixture(name: &str) -> Runbook {
    runbook::load(&path(name)).expect("fixture loads")
}

fn titles(r: &Runbook) -> Vec<&str> {
    r.steps.iter().map(|s| s.title.as_str()).collect()
}

fn step<'a>(r: &'a Runbook, title: &str) -> &'a Step {
    r.steps
        .iter()
        .find(|s| s.title == title)
        .unwrap_or_else(|| panic!("no step {title:?} in {:?}", titles(r)))
}

fn blocks(r: &Runbook) -> Vec<&CodeBlock> {
    r.steps.iter().flat_map(|s| &s.blocks).collect()
}

fn kinds(r: &Runbook) -> (usize, usize, usize) {
    let count = |k| blocks(r).iter().filter(|b| b.kind == k).count();
    (
        count(BlockKind::Run),
        count(BlockKind::Shown),
        count(BlockKind::Input),
    )
}

fn budget(r: &Runbook, title: &str) -> Option<(u32, BudgetSource)> {
    step(r, title).budget.map(|b| (b.seconds, b.source))
}

#[test]
fn there_are_at_least_twelve_styles() {
    assert!(STYLES.len() >= 12);
    for name in STYLES {
        assert!(path(name).is_file(), "{name}");
    }
}

#[test]
fn every_fixture_keeps_every_block_and_lints_without_errors() {
    for name in STYLES {
        let r = fixture(name);
        assert_eq!(blocks(&r).len(), r.code_blocks_in_source, "{name}");
        assert!(r.code_blocks_in_source > 0, "{name}");
        let errors: Vec<_> = lint::lint(&r)
            .into_iter()
            .filter(|d| d.severity == Severity::Error)
            .collect();
        assert!(errors.is_empty(), "{name}: {errors:?}");
    }
}

#[test]
fn checklist_only_items_are_steps_and_preflight_commands() {
    let r = fixture("checklist-only.md");
    assert_eq!(
        titles(&r),
        vec![
            "Log in to the registry",
            "Pull the images ahead of time",
            "Start the stack"
        ]
    );
    assert_eq!(kinds(&r), (3, 0, 0));
    let with_block: Vec<Option<&str>> = r.checklist.iter().map(|c| c.block.as_deref()).collect();
    assert_eq!(
        with_block,
        vec![
            Some("log-in-to-the-registry-1"),
            Some("pull-the-images-ahead-of-time-1"),
            Some("start-the-stack-1"),
            None
        ]
    );
    let note = &step(&r, "Start the stack").notes[0];
    assert_eq!(
        (note.kind, note.text.as_str()),
        (NoteKind::Remark, "Takes about a minute on hotel wifi.")
    );
}

#[test]
fn crlf_files_parse_with_their_lines() {
    let r = fixture("crlf.md");
    assert_eq!(titles(&r), vec!["Step 1: Start", "Step 2: Fetch"]);
    assert_eq!(
        blocks(&r).iter().map(|b| b.line).collect::<Vec<_>>(),
        vec![5, 11]
    );
    assert_eq!(
        budget(&r, "Step 1: Start"),
        Some((60, BudgetSource::Heading))
    );
    assert_eq!(
        step(&r, "Step 2: Fetch").expectations[0].output.as_deref(),
        Some("Directory listing")
    );
    assert_eq!(r.checklist.len(), 1);
}

#[test]
fn blocks_in_blockquotes_run_and_quotes_are_spoken() {
    let r = fixture("interview-quotes.md");
    assert_eq!(r.steps.len(), 5);
    assert_eq!(kinds(&r), (6, 1, 0));
    let start = step(&r, "Start the broker");
    assert_eq!(
        start.blocks.iter().map(|b| b.line).collect::<Vec<_>>(),
        vec![11, 15]
    );
    assert!(start.blocks.iter().all(|b| b.kind == BlockKind::Run));
    let spoken = &step(&r, "Attach two consumers").notes[0];
    assert_eq!(
        (spoken.kind, spoken.label.as_str()),
        (NoteKind::TalkingPoint, "Say")
    );
    assert!(step(&r, "Declare a queue").pitch.is_some());
    // The answer's code block is kept beside its question card.
    let failure = step(&r, "Part 3: Failure");
    assert_eq!((failure.questions.len(), failure.blocks.len()), (1, 1));
}

#[test]
fn a_file_without_a_final_newline_keeps_its_last_block() {
    let r = fixture("no-final-newline.md");
    assert_eq!(r.steps.len(), 3);
    assert_eq!(kinds(&r), (2, 1, 0));
    let last = &step(&r, "Last check").blocks[0];
    assert_eq!(last.commands[0].text, "echo done");
}

#[test]
fn without_h1_the_title_is_the_file_name_and_the_intro_is_a_step() {
    let r = fixture("no-h1.md");
    assert_eq!(r.title, "no-h1");
    assert_eq!(
        titles(&r),
        vec!["Introduction", "Build", "Run", "Source tour"]
    );
    assert_eq!(step(&r, "Introduction").blocks[0].line, 3);
    // A section holding only a shown block is a step too.
    assert_eq!(step(&r, "Source tour").blocks[0].kind, BlockKind::Shown);
    assert_eq!(kinds(&r), (3, 1, 0));
}

#[test]
fn ordered_list_items_are_steps_without_h2() {
    let r = fixture("ordered-only.md");
    assert_eq!(
        titles(&r),
        vec![
            "Create the namespace",
            "Deploy version one",
            "Watch the service answer",
            "Roll to version two",
            "Roll back if the audience asks"
        ]
    );
    assert_eq!(kinds(&r), (5, 0, 0));
    assert!(blocks(&r).iter().all(|b| b.inferred_shell));
    assert_eq!(
        budget(&r, "Deploy version one"),
        Some((120, BudgetSource::Heading))
    );
    assert_eq!(step(&r, "Deploy version one").notes.len(), 2);
    // An unindented fence after an item belongs to that item.
    assert_eq!(step(&r, "Roll to version two").blocks[0].line, 27);
    // `//` lines are shown, not sent.
    let watch = &step(&r, "Watch the service answer").blocks[0];
    assert_eq!(watch.not_sent, vec![22]);
    assert_eq!(watch.commands.len(), 1);
    assert_eq!(r.outline.len(), 1, "items are steps, not headings");
}

#[test]
fn pasted_output_is_shown_not_run() {
    let r = fixture("pasted-output.md");
    let pods = &step(&r, "List the pods").blocks[0];
    assert_eq!(pods.not_sent, vec![7, 8, 9]);
    assert_eq!(pods.commands.len(), 1);
    let yaml = &step(&r, "Read a deployment").blocks[0];
    assert_eq!(yaml.not_sent, vec![16, 17, 18, 19]);
    let session = &step(&r, "A session, as typed").blocks[0];
    assert_eq!(
        session
            .commands
            .iter()
            .map(|c| c.text.as_str())
            .collect::<Vec<_>>(),
        vec!["kubectl get ns shop", "kubectl top pods -n shop"]
    );
    assert_eq!(step(&r, "Notes for later").blocks[0].kind, BlockKind::Shown);
    let infos = lint::lint(&r)
        .into_iter()
        .filter(|d| d.severity == Severity::Info && d.message.contains("pasted output"))
        .count();
    assert_eq!(infos, 3);
}

#[test]
fn checklist_items_with_code_are_kept_and_runnable_from_preflight() {
    let r = fixture("preflight-checklist.md");
    assert_eq!(titles(&r), vec!["Cluster", "One hour before"]);
    assert_eq!(kinds(&r), (4, 0, 0));
    assert_eq!(r.checklist.len(), 9);
    let runnable: Vec<&str> = r
        .checklist
        .iter()
        .filter(|c| c.block.is_some())
        .map(|c| c.text.as_str())
        .collect();
    assert_eq!(
        runnable,
        vec![
            "Point kubectl at the demo cluster",
            "Volume snapshots are enabled",
            "Deploy the sample database",
            "Seed it"
        ]
    );
    let item = &r.checklist[0];
    let block = blocks(&r)
        .into_iter()
        .find(|b| Some(&b.id) == item.block.as_ref())
        .expect("the item's block is in the model");
    assert_eq!(
        block.commands[0].text,
        "kubectl config use-context demo-east"
    );
}

#[test]
fn presenter_scripts_give_budgets_and_spoken_notes() {
    let r = fixture("presenter-script.md");
    assert_eq!(r.steps.len(), 4);
    assert_eq!(
        budget(&r, "Segment 1: The Problem"),
        Some((60, BudgetSource::Heading))
    );
    assert_eq!(
        budget(&r, "Segment 2: Turning a Flag On"),
        Some((180, BudgetSource::Label))
    );
    assert_eq!(
        budget(&r, "Segment 3: Rolling Back"),
        Some((120, BudgetSource::Heading))
    );
    let problem = step(&r, "Segment 1: The Problem");
    assert_eq!(problem.notes[0].label, "Say");
    assert_eq!(problem.notes[1].kind, NoteKind::Remark, "**Display:**");
    let flag = step(&r, "Segment 2: Turning a Flag On");
    assert_eq!(flag.notes[0].label, "Say", "**Script:**");
    assert_eq!(
        flag.notes
            .iter()
            .filter(|n| n.kind == NoteKind::KeyPoint)
            .count(),
        2
    );
    assert_eq!(
        step(&r, "Segment 3: Rolling Back").notes[0].kind,
        NoteKind::Remark
    );
}

#[test]
fn runme_tutorials_keep_their_cells() {
    let r = fixture("runme-tutorial.md");
    assert_eq!(r.front_matter.shell.as_deref(), Some("bash"));
    assert_eq!(r.steps.len(), 5);
    assert_eq!(kinds(&r), (5, 1, 0));
    let names: Vec<Option<&str>> = blocks(&r)
        .iter()
        .map(|b| b.attributes.name.as_deref())
        .collect();
    assert_eq!(
        names,
        vec![
            Some("install-deps"),
            Some("api"),
            Some("measure-cold"),
            Some("cache"),
            Some("measure-warm"),
            None
        ]
    );
    assert!(blocks(&r)[0].attributes.exclude_from_run_all);
    assert_eq!(step(&r, "Measure again").expectations.len(), 1);
}

#[test]
fn talking_points_as_nested_bullets() {
    let r = fixture("talking-points-bullets.md");
    assert_eq!(r.steps.len(), 3);
    let install = step(&r, "Install the mesh");
    assert_eq!(
        install
            .notes
            .iter()
            .map(|n| (n.kind, n.text.as_str()))
            .collect::<Vec<_>>(),
        vec![
            (
                NoteKind::TalkingPoint,
                "The demo profile turns on every feature"
            ),
            (
                NoteKind::TalkingPoint,
                "Production would use the minimal profile"
            )
        ]
    );
    assert_eq!(
        step(&r, "Label the namespace").notes[0].kind,
        NoteKind::KeyPoint
    );
    let traffic = step(&r, "Send some traffic");
    assert!(traffic.notes[0].text.starts_with("Explain to the audience"));
    assert_eq!(kinds(&r), (3, 0, 0));
}

#[test]
fn terminal_windows_in_prose_propose_named_terminals() {
    let r = fixture("terminal-windows.md");
    let proposed: Vec<(&str, &str)> = r
        .proposed_terminals
        .iter()
        .map(|t| (t.name.as_str(), t.purpose.as_str()))
        .collect();
    assert_eq!(
        proposed,
        vec![
            ("Terminal 1", "primary database"),
            ("Terminal 2", "replica database"),
            ("Terminal 3", "a client that writes rows")
        ]
    );
    assert_eq!(r.steps.len(), 2);
    assert!(r.terminals.contains(&"Terminal 3".to_string()));
}

#[test]
fn timing_guides_and_clock_prefixes_are_budgets() {
    let r = fixture("timing-guide.md");
    assert_eq!(budget(&r, "Opening"), Some((120, BudgetSource::Timeline)));
    assert_eq!(budget(&r, "Metrics"), Some((300, BudgetSource::Timeline)));
    assert_eq!(budget(&r, "Tracing"), Some((240, BudgetSource::Timeline)));
    assert_eq!(
        budget(&r, "Warm-up questions"),
        Some((300, BudgetSource::Heading))
    );
    assert_eq!(budget(&r, "Live Load"), Some((300, BudgetSource::Heading)));
    assert_eq!(budget(&r, "Dashboards"), Some((120, BudgetSource::Heading)));
    assert_eq!(r.timeline.len(), 3);
    assert_eq!(step(&r, "Opening").notes[0].kind, NoteKind::Remark);
}

#[test]
fn untagged_commands_run_as_inferred_shell_and_prose_is_shown() {
    let r = fixture("untagged-commands.md");
    let inferred: Vec<bool> = blocks(&r).iter().map(|b| b.inferred_shell).collect();
    assert_eq!(inferred, vec![true, true, false, true]);
    assert_eq!(kinds(&r), (3, 1, 0));
    let install = &step(&r, "Install the chart").blocks[0];
    assert_eq!(install.not_sent, vec![13]);
    assert!(install.display.contains("// the release name"));
    assert!(install.commands.iter().all(|c| !c.text.contains("//")));
    assert!(install
        .inferred
        .iter()
        .any(|i| i.starts_with("inferred shell")));
    let infos = lint::lint(&r)
        .into_iter()
        .filter(|d| d.severity == Severity::Info && d.message.contains("runs as shell"))
        .count();
    assert_eq!(infos, 3);
}

#[test]
fn check_prints_the_block_counts_and_what_was_inferred() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_cuedeck"))
        .arg("check")
        .arg(path("untagged-commands.md"))
        .output()
        .expect("cuedeck runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("code blocks: 4 in the file, 4 in the model"),
        "{text}"
    );
    assert!(
        text.contains(": info: untagged block runs as shell"),
        "{text}"
    );
    assert!(text.contains("3 notes on what was inferred"), "{text}");
}

#[test]
fn a_block_missing_from_the_model_is_a_lint_error() {
    let mut r = fixture("no-h1.md");
    assert!(lint::blocks_not_in_the_model(&r).is_empty());
    r.steps.pop();
    let found = lint::lint(&r);
    let error = found
        .iter()
        .find(|d| {
            d.message
                .starts_with("code blocks: 4 in the file, 3 in the model")
        })
        .expect("the mismatch is reported");
    assert_eq!(error.severity, Severity::Error);
}

#[test]
fn the_audience_sees_an_item_steps_blocks_but_not_its_notes_or_spoken_quotes() {
    use cuedeck_core::show::audience::AudienceView;
    let r = fixture("ordered-only.md");
    let view = AudienceView::of(&r);
    let deploy = &view.steps[1];
    assert_eq!(deploy.blocks.len(), 1);
    assert!(
        !deploy.html.contains("Point at the three pods"),
        "{}",
        deploy.html
    );
    // A checklist item that became a step shows its title and block; the pre-flight
    // item without a block ("Charge the clicker") is no step and shows nowhere.
    let checklist = AudienceView::of(&fixture("checklist-only.md"));
    assert_eq!(checklist.steps.len(), 3);
    for step in &checklist.steps {
        assert_eq!(step.blocks.len(), 1, "{}: {}", step.title, step.html);
        assert!(step.html.contains(&step.title), "{}", step.html);
        assert!(!step.html.contains("<input"), "{}", step.html);
    }
    assert!(!checklist.steps[2].html.contains("hotel wifi"));
    // Under a heading, a checklist item's text is the presenter's; its commands run on
    // the shared screen, so they are shown.
    let preflight = AudienceView::of(&fixture("preflight-checklist.md"));
    let cluster = &preflight.steps[0];
    assert_eq!(cluster.blocks.len(), 2, "{}", cluster.html);
    assert!(!cluster.html.contains("Point kubectl"), "{}", cluster.html);
    assert!(
        !cluster.html.contains("Slides exported"),
        "{}",
        cluster.html
    );
    let seed = &preflight.steps[1];
    assert!(!seed.html.contains("The count is 1000"), "{}", seed.html);
    let quotes = AudienceView::of(&fixture("interview-quotes.md"));
    let consumers = &quotes.steps[2];
    assert_eq!(consumers.blocks.len(), 2);
    assert!(!consumers.html.contains("Notice how"), "{}", consumers.html);
}
