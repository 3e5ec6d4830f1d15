//! One test per runbook convention (DESIGN.md "Runbook format"), over fixture runbooks
//! in `tests/fixtures/` that reproduce how our users write them.

use std::path::{Path, PathBuf};

use cuedeck_core::runbook::{
    self, lint, AutoCheck, BlockKind, BudgetSource, CodeBlock, MetricFormat, NoteKind, Origin,
    OutputPattern, Runbook, Severity, Step,
};

fn fixture_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn fixture(name: &str) -> Runbook {
    runbook::load(&fixture_path(name)).expect("fixture loads")
}

fn step<'a>(r: &'a Runbook, title: &str) -> &'a Step {
    r.steps
        .iter()
        .find(|s| s.title == title)
        .unwrap_or_else(|| panic!("no step {title:?} in {:?}", titles(r)))
}

fn titles(r: &Runbook) -> Vec<&str> {
    r.steps.iter().map(|s| s.title.as_str()).collect()
}

fn block<'a>(r: &'a Runbook, id: &str) -> &'a CodeBlock {
    r.steps
        .iter()
        .flat_map(|s| &s.blocks)
        .find(|b| b.id == id)
        .unwrap_or_else(|| panic!("no block {id}"))
}

#[test]
fn outline_lists_every_heading_with_its_line() {
    let r = fixture("protocol.md");
    let outline: Vec<(u8, &str, usize)> = r
        .outline
        .iter()
        .map(|h| (h.level, h.title.as_str(), h.line))
        .take(3)
        .collect();
    assert_eq!(
        outline,
        vec![
            (1, "Tiny HTTP Server Walkthrough", 1),
            (2, "Goal", 5),
            (2, "Step 1: Start the server", 9)
        ]
    );
}

#[test]
fn title_comes_from_the_level_one_heading() {
    assert_eq!(fixture("protocol.md").title, "Tiny HTTP Server Walkthrough");
}

#[test]
fn heading_sections_with_runnable_blocks_or_notes_are_steps() {
    let r = fixture("protocol.md");
    assert_eq!(
        titles(&r),
        vec![
            "Goal",
            "Step 1: Start the server",
            "Step 2: Open the dashboard",
            "Step 3: Prove strict parsing",
            "Step 4: Pipelining",
            "What to call out during demo",
            "Quick health commands",
            "Legacy run (optional)"
        ]
    );
}

#[test]
fn numbered_items_holding_code_are_substeps() {
    let r = fixture("cluster.md");
    let s = step(&r, "Demo 1: Ordering");
    let subs: Vec<(u64, &str)> = s
        .substeps
        .iter()
        .map(|x| (x.number, x.title.as_str()))
        .collect();
    assert_eq!(
        subs,
        vec![
            (1, "Connect a client"),
            (2, "Send messages"),
            (4, "From several clients")
        ]
    );
    assert_eq!(s.substeps[0].blocks, vec![0]);
    assert_eq!(s.blocks[0].substep, Some(0));
}

#[test]
fn shell_blocks_run_and_other_languages_are_shown() {
    let r = fixture("timed.md");
    let kinds: Vec<(Option<&str>, BlockKind)> = r
        .steps
        .iter()
        .flat_map(|s| &s.blocks)
        .map(|b| (b.lang.as_deref(), b.kind))
        .collect();
    assert_eq!(
        kinds,
        vec![
            (Some("bash"), BlockKind::Run),
            (None, BlockKind::Shown),
            (Some("bash"), BlockKind::Run),
            (Some("go"), BlockKind::Shown),
        ]
    );
}

#[test]
fn runme_json_attributes_accept_string_values() {
    let r = fixture("runme.md");
    let b = block(&r, "start-lab");
    assert_eq!(b.attributes.background, Some(true));
    assert!(b.background);
    assert_eq!(b.attributes.timeout_ms, Some(30_000));
    assert_eq!(
        b.attributes.expect,
        Some(OutputPattern::Regex(r"ready on \d+".into()))
    );
    assert_eq!(b.terminal, "lab");
}

#[test]
fn html_style_attributes_are_accepted() {
    let r = fixture("runme.md");
    assert_eq!(block(&r, "shell-check").attributes.interactive, Some(true));
}

#[test]
fn unknown_attributes_are_kept_and_linted() {
    let r = fixture("runme.md");
    let b = block(&r, "cleanup");
    assert_eq!(b.attributes.unknown["colour"], "blue");
    assert!(r
        .diagnostics
        .iter()
        .any(|d| d.severity == Severity::Warning && d.line == 34 && d.message.contains("colour")));
}

#[test]
fn exclude_from_run_all_and_categories() {
    let r = fixture("runme.md");
    let b = block(&r, "cleanup");
    assert!(b.attributes.exclude_from_run_all);
    assert_eq!(b.attributes.tags, vec!["teardown", "slow"]);
}

#[test]
fn quoted_lines_are_input_for_the_running_program() {
    let r = fixture("cluster.md");
    let s = step(&r, "Demo 1: Ordering");
    let input = &s.blocks[1];
    assert_eq!(input.kind, BlockKind::Input);
    let lines: Vec<&str> = input.input.iter().map(|l| l.text.as_str()).collect();
    assert_eq!(lines, vec!["Hello from one", "Second message"]);
    assert_eq!(input.input[0].line, 38);
    // The client was started in `main` just before.
    assert_eq!(input.terminal, "main");
}

#[test]
fn input_lines_can_name_their_target() {
    let r = fixture("cluster.md");
    let input = &step(&r, "Demo 1: Ordering").blocks[2];
    assert_eq!(input.input[1].target.as_deref(), Some("Client 2"));
    assert_eq!(input.input[1].text, "From client two");
}

#[test]
fn terminal_comments_split_a_block_into_terminals() {
    let r = fixture("cluster.md");
    let b = &step(&r, "Method 2: Local processes").blocks[0];
    let split: Vec<(&str, &str)> = b
        .commands
        .iter()
        .map(|c| (c.terminal.as_str(), c.text.as_str()))
        .collect();
    assert_eq!(
        split,
        vec![
            ("Terminal 1", "python3 -m chat.node --id 1"),
            ("Terminal 2", "python3 -m chat.node --id 2"),
            ("Terminal 3", "python3 -m chat.node --id 3"),
        ]
    );
    assert!(b.background);
}

#[test]
fn heredocs_run_as_one_command() {
    let r = fixture("protocol.md");
    let b = &step(&r, "Step 4: Pipelining").blocks[0];
    assert_eq!(b.commands.len(), 1);
    assert!(b.commands[0].text.starts_with("python3 - <<'PY'\n"));
    assert!(b.commands[0].text.ends_with("\nPY"));
}

#[test]
fn comments_stay_with_their_command() {
    let r = fixture("protocol.md");
    let b = &step(&r, "Step 3: Prove strict parsing").blocks[0];
    assert_eq!(b.commands.len(), 2);
    assert_eq!(
        b.commands[1].comment.as_deref(),
        Some("# Bad version -> 505")
    );
    assert_eq!(b.commands[1].line, 34);
}

#[test]
fn console_prompts_are_stripped_and_output_dropped() {
    let r = fixture("odd.md");
    let s = step(&r, "🚀 Launch");
    let console = s
        .blocks
        .iter()
        .find(|b| b.lang.as_deref() == Some("console"))
        .expect("console block");
    let texts: Vec<&str> = console.commands.iter().map(|c| c.text.as_str()).collect();
    assert_eq!(texts, vec!["echo one", "echo two \\\nthree"]);
}

#[test]
fn indented_prompt_blocks_run() {
    let r = fixture("odd.md");
    let s = step(&r, "🚀 Launch");
    let last = s.blocks.last().expect("indented block");
    assert_eq!(last.info, "");
    assert_eq!(last.commands[0].text, "echo indented");
}

#[test]
fn fence_inside_a_list_with_tildes() {
    let r = fixture("odd.md");
    let b = &step(&r, "🚀 Launch").blocks[0];
    assert_eq!(b.kind, BlockKind::Run);
    assert_eq!(b.commands[0].text, "echo tilde fence in a list");
    assert_eq!(b.line, 18);
}

#[test]
fn attributes_without_a_language_make_a_runme_cell() {
    let r = fixture("odd.md");
    let b = block(&r, "no-language");
    assert_eq!(b.lang, None);
    assert_eq!(b.kind, BlockKind::Run);
}

#[test]
fn budgets_come_from_headings() {
    let r = fixture("timed.md");
    let budgets: Vec<u32> = r
        .steps
        .iter()
        .filter_map(|s| s.budget.map(|b| b.seconds))
        .collect();
    assert_eq!(budgets, vec![300, 180, 120]);
    assert_eq!(step(&r, "Section 1: Connections").line, 13);
}

#[test]
fn heading_with_budget_and_emoji() {
    let r = fixture("odd.md");
    let s = &r.steps[0];
    assert_eq!(s.title, "🚀 Launch");
    assert_eq!(
        s.budget.map(|b| (b.seconds, b.source)),
        Some((30, BudgetSource::Heading))
    );
}

#[test]
fn a_budgeted_heading_owns_its_subsections() {
    let r = fixture("timeline.md");
    assert_eq!(
        titles(&r)[..3],
        [
            "Pre-Preparation",
            "Demo 1: Rate Limiting",
            "Demo 2: Recovery"
        ]
    );
    let budgets: Vec<u32> = r
        .steps
        .iter()
        .filter_map(|s| s.budget)
        .map(|b| b.seconds)
        .collect();
    assert_eq!(budgets, vec![120, 60, 120]);
}

#[test]
fn timeline_tables_map_to_steps() {
    let r = fixture("timeline.md");
    let rows: Vec<(u32, u32, Option<&str>)> = r
        .timeline
        .iter()
        .map(|t| (t.start_seconds, t.end_seconds, t.step.as_deref()))
        .collect();
    assert_eq!(
        rows,
        vec![
            (0, 60, Some("demo-1-rate-limiting")),
            (60, 180, Some("demo-2-recovery"))
        ]
    );
}

#[test]
fn talking_points_become_notes() {
    let r = fixture("timeline.md");
    let notes: Vec<(NoteKind, &str)> = step(&r, "Demo 1: Rate Limiting")
        .notes
        .iter()
        .map(|n| (n.kind, n.text.as_str()))
        .collect();
    assert_eq!(
        notes,
        vec![
            (
                NoteKind::TalkingPoint,
                "A consumer-level limit of 100 requests a minute"
            ),
            (NoteKind::TalkingPoint, "Limits differ per consumer"),
        ]
    );
}

#[test]
fn what_to_call_out_sections_become_notes() {
    let r = fixture("protocol.md");
    let s = step(&r, "What to call out during demo");
    assert_eq!(s.notes.len(), 2);
    assert!(s.notes.iter().all(|n| n.kind == NoteKind::CallOut));
}

#[test]
fn sentences_to_the_presenter_become_notes() {
    let r = fixture("protocol.md");
    let call_out = &step(&r, "Step 3: Prove strict parsing").notes[0];
    assert_eq!((call_out.kind, call_out.line), (NoteKind::CallOut, 37));
    let explain = &step(&r, "Step 4: Pipelining").notes[0];
    assert_eq!(explain.text, "Explain that responses stay in order.");
}

#[test]
fn presentation_tips_become_notes() {
    let r = fixture("cluster.md");
    let tips = &step(&r, "Presentation Tips").notes;
    assert_eq!(tips.len(), 2);
    assert_eq!(tips[0].kind, NoteKind::Tip);
    assert_eq!(tips[0].text, "Arrange terminals side by side");
}

#[test]
fn qa_with_arrows() {
    let r = fixture("timeline.md");
    let q = &step(&r, "Demo 1: Rate Limiting").questions;
    assert_eq!(q.len(), 2);
    assert_eq!(q[0].question, "How flexible is the limit?");
    assert_eq!(q[0].answer, "Changed live through the admin API");
}

#[test]
fn qa_with_bold_question_and_answer_bullet() {
    let r = fixture("cluster.md");
    let q = &step(&r, "Questions to Answer During Demo").questions;
    assert_eq!(
        (q[0].question.as_str(), q[0].answer.as_str(), q[0].line),
        (
            "What if two nodes think they lead?",
            "Terms prevent it.",
            60
        )
    );
}

#[test]
fn qa_with_quoted_question_and_answer_bullets() {
    let r = fixture("timed.md");
    let q = &step(&r, "Questions to Anticipate").questions;
    assert_eq!(q[0].question, "How does it handle failures?");
    assert_eq!(q[0].answer, "Circuit breaker\nCleanup on 410");
}

#[test]
fn qa_under_a_questions_heading_with_arrow_answers() {
    let r = fixture("timeline.md");
    let q = &step(&r, "Post-Demo Questions").questions;
    assert_eq!(q[0].question, "How many partitions?");
    assert_eq!(q[0].answer, "Three, one per consumer.");
}

#[test]
fn you_should_see_quotes_output() {
    let r = fixture("protocol.md");
    let e = &step(&r, "Step 4: Pipelining").expectations[0];
    assert_eq!(e.output.as_deref(), Some("HTTP/1.1 200 OK"));
    assert_eq!(e.line, 50);
}

#[test]
fn expected_result_labels_are_expectations() {
    let r = fixture("cluster.md");
    let e = &step(&r, "Demo 1: Ordering").expectations;
    assert_eq!(
        e.last().map(|e| e.text.as_str()),
        Some("All nodes show the same sequence")
    );
    assert_eq!(e[0].output.as_deref(), Some("[seq=1] Hello from one"));
}

#[test]
fn result_sections_are_expectations() {
    let r = fixture("timeline.md");
    let e = &step(&r, "Demo 2: Recovery").expectations;
    assert_eq!(e[0].text, "Lag rises, then drains");
}

#[test]
fn pitch_from_what_are_we_showing_and_goal() {
    let r = fixture("timeline.md");
    assert_eq!(
        step(&r, "Demo 1: Rate Limiting").pitch.as_deref(),
        Some("\"The gateway limits each consumer and protects the system.\"")
    );
    let c = fixture("cluster.md");
    assert_eq!(
        step(&c, "Demo 1: Ordering").pitch.as_deref(),
        Some("Show that every node delivers in the same order")
    );
}

#[test]
fn checklists_with_automatic_checks() {
    let r = fixture("timed.md");
    let items: Vec<(&str, bool, Option<AutoCheck>)> = r
        .checklist
        .iter()
        .map(|c| (c.text.as_str(), c.checked, c.auto.clone()))
        .collect();
    assert_eq!(
        items,
        vec![
            ("Tokens generated", false, None),
            (
                "Gateway deployed (port 9500)",
                true,
                Some(AutoCheck::Port(9500))
            ),
            (
                "Test clients ready (wscat installed)",
                false,
                Some(AutoCheck::Tool("wscat".into()))
            ),
        ]
    );
}

#[test]
fn metric_target_tables() {
    let r = fixture("timed.md");
    let t = &step(&r, "Key Metrics to Highlight").targets;
    assert_eq!(t.len(), 2);
    assert_eq!(
        (
            t[1].metric.as_str(),
            t[1].target.as_str(),
            t[1].achieved.as_deref()
        ),
        ("Send p99", "< 10ms", Some("✅ ~8ms"))
    );
}

#[test]
fn health_urls_become_one_probe_per_port() {
    let r = fixture("runme.md");
    let urls: Vec<&str> = r.services.iter().map(|s| s.url.as_str()).collect();
    assert_eq!(
        urls,
        vec![
            "http://localhost:9401/health",
            "http://localhost:9402/health",
            "http://localhost:9403/ready"
        ]
    );
    assert!(r.services.iter().all(|s| s.origin == Origin::Proposed));
}

#[test]
fn status_endpoints_are_health_probes() {
    let r = fixture("timeline.md");
    assert!(r
        .services
        .iter()
        .any(|s| s.url == "http://localhost:9602/status"));
}

#[test]
fn metrics_urls_become_metric_sources() {
    let r = fixture("protocol.md");
    assert_eq!(r.metrics.len(), 1);
    assert_eq!(r.metrics[0].url, "http://127.0.0.1:9300/_metrics");
    assert_eq!(r.metrics[0].format, MetricFormat::Json);
}

#[test]
fn front_matter_declares_everything() {
    let r = fixture("odd.md");
    let fm = &r.front_matter;
    assert_eq!(fm.title.as_deref(), Some("Odd Cases"));
    assert_eq!(fm.shell.as_deref(), Some("bash"));
    assert_eq!(fm.env["API"], "http://localhost:9701");
    assert_eq!(fm.redact, vec!["secret-\\w+"]);
    assert_eq!(fm.lines, Some((1, 10)));
    let api = &r.services[0];
    assert_eq!(
        (api.interval_ms, api.expect_status, api.origin),
        (2000, 204, Origin::Declared)
    );
    assert_eq!(r.metrics[0].format, MetricFormat::Prometheus);
    assert_eq!(r.metrics[0].series, vec!["rps"]);
}

#[test]
fn open_url_becomes_a_link_not_a_command() {
    let r = fixture("timeline.md");
    let s = step(&r, "Demo 1: Rate Limiting");
    let metrics_block = &s.blocks[1];
    assert_eq!(metrics_block.kind, BlockKind::Shown);
    assert!(s
        .links
        .iter()
        .any(|l| l.url == "http://localhost:9604/d/rate-limiting"));
}

#[test]
fn urls_in_text_blocks_become_links() {
    let r = fixture("protocol.md");
    let links = &step(&r, "Step 2: Open the dashboard").links;
    assert_eq!(links[0].url, "http://127.0.0.1:9300/static/index.html");
}

#[test]
fn long_runners_get_their_own_terminal() {
    let r = fixture("protocol.md");
    let server = &step(&r, "Step 1: Start the server").blocks[0];
    assert!(server.background);
    assert_eq!(server.terminal, "server.py");
    let w = fixture("timeline.md");
    assert_eq!(step(&w, "Demo 2: Recovery").blocks[0].terminal, "watch");
    let c = fixture("cluster.md");
    assert_eq!(
        step(&c, "Method 1: Compose").blocks[0].terminal,
        "docker compose"
    );
}

#[test]
fn troubleshooting_and_optional_steps_stay_out_of_run_all() {
    let r = fixture("timeline.md");
    assert!(step(&r, "\"Rate limiting not working\"").optional);
    assert!(!step(&r, "Demo 1: Rate Limiting").optional);
    assert!(step(&fixture("protocol.md"), "Legacy run (optional)").optional);
}

#[test]
fn ids_are_unique_slugs() {
    let r = fixture("protocol.md");
    assert_eq!(r.steps[1].id, "step-1-start-the-server");
    assert_eq!(r.steps[1].blocks[0].id, "step-1-start-the-server-1");
}

#[test]
fn invalid_json_attributes_are_errors_with_their_line() {
    let r = fixture("odd.md");
    let d = r
        .diagnostics
        .iter()
        .find(|d| d.message.contains("invalid JSON"))
        .expect("diagnostic");
    assert_eq!((d.severity, d.line), (Severity::Error, 38));
}

#[test]
fn unclosed_fences_are_errors_with_their_line() {
    let r = fixture("odd.md");
    let d = r
        .diagnostics
        .iter()
        .find(|d| d.message.contains("never closed"))
        .expect("diagnostic");
    assert_eq!((d.severity, d.line), (Severity::Error, 44));
}

#[test]
fn invalid_front_matter_is_an_error_with_its_line() {
    let r = runbook::parse_str("---\ntitle: x\nservices: [\n---\n# T\n", None);
    assert!(r
        .diagnostics
        .iter()
        .any(|d| d.severity == Severity::Error && d.line >= 2));
}

#[test]
fn crlf_line_endings_parse_like_lf() {
    let lf = std::fs::read_to_string(fixture_path("odd.md")).expect("fixture");
    let crlf = lf.replace('\n', "\r\n");
    let a = runbook::parse_str(&lf, None);
    let b = runbook::parse_str(&crlf, None);
    assert_eq!(a.steps, b.steps);
    assert_eq!(a.diagnostics, b.diagnostics);
}

#[test]
fn rendered_html_is_sanitized_with_block_placeholders() {
    let r = runbook::parse_str(
        "# T\n\n## S\n\n<script>alert(1)</script>\n\n```bash\necho hi\n```\n",
        None,
    );
    let html = &r.steps[0].html;
    assert!(!html.contains("<script"), "{html}");
    assert!(html.contains(r#"data-block="s-1""#), "{html}");
}

#[test]
fn non_utf8_files_are_refused_by_name() {
    let dir = std::env::temp_dir().join(format!("cuedeck-nonutf8-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("tmp");
    let path = dir.join("latin1.md");
    std::fs::write(&path, b"# Caf\xe9\n").expect("write");
    let err = runbook::load(&path).expect_err("not UTF-8");
    assert!(err.to_string().contains("latin1.md"), "{err}");
    assert!(err.to_string().contains("not UTF-8"), "{err}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn lint_names_tools_missing_from_path() {
    let r = runbook::parse_str(
        "# T\n\n## S\n\n```bash\ncuedeck-no-such-tool --x | jq .\n```\n",
        None,
    );
    let findings = lint::lint(&r);
    assert!(findings
        .iter()
        .any(|d| d.line == 6 && d.message.contains("`cuedeck-no-such-tool` is not on PATH")));
}

#[test]
fn lint_names_ports_already_bound() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let r = runbook::parse_str(
        &format!("# T\n\n## S\n\n```bash\ncurl http://localhost:{port}/health\n```\n"),
        None,
    );
    let findings = lint::lint(&r);
    assert!(
        findings.iter().any(|d| d
            .message
            .contains(&format!("port {port} is already in use"))),
        "{findings:?}"
    );
}

#[test]
fn wait_for_names_services_and_takes_the_block_timeout() {
    let r = fixture("gated.md");
    let gate = block(&r, "use-gateway").wait_for.clone().expect("a gate");
    assert_eq!(gate.services, vec!["gateway"]);
    assert_eq!(gate.timeout_ms, 20_000);
    assert_eq!(gate.replaces, None);
}

#[test]
fn a_wait_for_healthy_step_that_only_sleeps_waits_for_every_service_instead() {
    let r = fixture("gated.md");
    let gate = block(&r, "wait-healthy").wait_for.clone().expect("a gate");
    assert!(gate.services.is_empty(), "every service");
    assert_eq!(gate.replaces.as_deref(), Some("sleep 15"));
    assert_eq!(gate.timeout_ms, 60_000);
    // A wait that is not for services keeps its sleep.
    assert_eq!(block(&r, "settle").wait_for, None);
    assert_eq!(block(&r, "start-stack").wait_for, None);
}

#[test]
fn wait_for_an_unknown_service_is_an_error_on_its_line() {
    let r = fixture("gated.md");
    let d = r
        .diagnostics
        .iter()
        .find(|d| d.message.contains("`gatewy`"))
        .expect("diagnostic");
    assert_eq!(d.severity, Severity::Error);
    assert_eq!(d.line, block(&r, "broken-gate").line);
    assert!(
        d.message.contains("services: gateway, store"),
        "{}",
        d.message
    );
    assert_eq!(block(&r, "broken-gate").wait_for, None);
}
