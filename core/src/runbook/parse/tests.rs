//! One test per block convention of live steps (DESIGN.md "Runbook format": hidden
//! setup lines, interactive programs and their input, control keys, listen ports,
//! role-named terminals, typing), each over a small runbook written the way our
//! users write theirs.

use crate::runbook::{self, lint, BlockKind, CodeBlock, Runbook, Severity, Typing};

fn parse(markdown: &str) -> Runbook {
    runbook::parse_str(markdown, None)
}

/// The blocks of every step, in document order.
fn blocks(r: &Runbook) -> Vec<&CodeBlock> {
    r.steps.iter().flat_map(|s| &s.blocks).collect()
}

fn texts(commands: &[runbook::Command]) -> Vec<(&str, &str)> {
    commands
        .iter()
        .map(|c| (c.terminal.as_str(), c.text.as_str()))
        .collect()
}

const HIDDEN: &str = "# Demo\n\n## Start\n\n```bash\n#| export DEMO_HOME=/tmp/demo\n#| cd \"$DEMO_HOME\"\n# Show the files\nls -la\n  #|rm -f stale.lock\ncat notes.txt\n```\n";

#[test]
fn hidden_lines_run_first_and_are_not_shown() {
    let r = parse(HIDDEN);
    let b = blocks(&r)[0];
    assert_eq!(b.kind, BlockKind::Run);
    assert_eq!(
        texts(&b.hidden),
        vec![
            ("main", "export DEMO_HOME=/tmp/demo"),
            ("main", "cd \"$DEMO_HOME\""),
            ("main", "rm -f stale.lock"),
        ]
    );
    assert_eq!(
        b.hidden.iter().map(|c| c.line).collect::<Vec<_>>(),
        vec![6, 7, 10]
    );
    assert_eq!(
        texts(&b.commands),
        vec![("main", "ls -la"), ("main", "cat notes.txt")]
    );
    // The comment above `ls` stays with it, the hidden lines between do not count.
    assert_eq!(b.commands[0].comment.as_deref(), Some("# Show the files"));
    assert_eq!((b.commands[0].line, b.commands[1].line), (9, 11));
    assert_eq!(b.display, "# Show the files\nls -la\ncat notes.txt\n");
    assert!(b.source.contains("#| export"), "source stays as written");
    assert!(b.inferred.iter().any(|r| r.contains("hidden setup")));
}

#[test]
fn display_is_the_source_for_blocks_without_hidden_lines() {
    let r = parse("# D\n\n## S\n\n```bash\necho hi\n```\n\n```python\n#| not hidden here\nprint(1)\n```\n\n```\n> hello\n```\n");
    for b in blocks(&r) {
        assert_eq!(b.display, b.source, "{}", b.id);
        assert!(b.hidden.is_empty());
    }
}

#[test]
fn hidden_heredocs_and_continuations_stay_one_command() {
    let r = parse("# D\n\n## S\n\n```bash\n#| cat > conf.yml <<'EOF'\n#| port: 1\n#| EOF\n#| curl -s \\\n#|   http://localhost:1/reset\necho ready\n```\n");
    let b = blocks(&r)[0];
    assert_eq!(
        texts(&b.hidden),
        vec![
            ("main", "cat > conf.yml <<'EOF'\nport: 1\nEOF"),
            ("main", "curl -s \\\n  http://localhost:1/reset"),
        ]
    );
    assert_eq!(b.display, "echo ready\n");
}

#[test]
fn hidden_lines_go_to_the_terminal_of_their_part() {
    let r = parse("# D\n\n## S\n\n```bash\n# Terminal 1\n#| cd api\n./run-api\n\n# Terminal 2\n#| cd web\n./run-web\n```\n");
    let b = blocks(&r)[0];
    assert_eq!(
        texts(&b.hidden),
        vec![("Terminal 1", "cd api"), ("Terminal 2", "cd web")]
    );
    assert_eq!(
        texts(&b.commands),
        vec![("Terminal 1", "./run-api"), ("Terminal 2", "./run-web")]
    );
    assert_eq!(
        b.display,
        "# Terminal 1\n./run-api\n\n# Terminal 2\n./run-web\n"
    );
}

#[test]
fn a_block_of_only_hidden_lines_still_runs() {
    let r = parse("# D\n\n## Prepare\n\n```sh\n#| docker compose pull -q\n```\n");
    let b = blocks(&r)[0];
    assert_eq!(b.kind, BlockKind::Run);
    assert!(b.commands.is_empty());
    assert_eq!(texts(&b.hidden), vec![("main", "docker compose pull -q")]);
    assert_eq!(b.display, "");
    assert_eq!(b.terminal, "main");
}

#[test]
fn hidden_lines_in_console_blocks() {
    let r = parse("# D\n\n## S\n\n```console\n#| cd /srv/demo\n$ ls\nfile.txt\n```\n");
    let b = blocks(&r)[0];
    assert_eq!(texts(&b.hidden), vec![("main", "cd /srv/demo")]);
    assert_eq!(texts(&b.commands), vec![("main", "ls")]);
    assert_eq!(b.commands[0].line, 7);
    assert_eq!(b.display, "$ ls\nfile.txt\n");
}

#[test]
fn hidden_lines_outside_shell_blocks_are_linted() {
    let r = parse("# D\n\n## S\n\n```python\nprint(1)\n#| setup()\n```\n\n```python\n#| label: fig-one\nplot()\n```\n\n```bash\n#| cd x\nls\n```\n");
    let found: Vec<_> = lint::lint(&r)
        .into_iter()
        .filter(|d| d.message.contains("#|"))
        .collect();
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!((found[0].severity, found[0].line), (Severity::Warning, 7));
    assert!(
        found[0].message.contains("`python`"),
        "{}",
        found[0].message
    );
}

#[test]
fn commands_know_the_ports_they_listen_on() {
    let r = parse("# D\n\n## S\n\n```bash\npython3 -m http.server 8000\n```\n\n```bash\ncurl -s http://localhost:8000/\n```\n\n```bash {\"port\": 9090}\n./bin/gateway --config gw.yml\n```\n\n```bash {\"port\": \"7000\", \"background\": true}\ncd api\nuvicorn app:app --port 7001\n```\n");
    let b = blocks(&r);
    assert_eq!(b[0].commands[0].ports, vec![8000]);
    assert!(b[1].commands[0].ports.is_empty());
    assert_eq!(b[2].commands[0].ports, vec![9090]);
    // The attribute goes to the long-runner, not to the `cd` before it.
    assert!(b[3].commands[0].ports.is_empty());
    assert_eq!(b[3].commands[1].ports, vec![7000, 7001]);
}

#[test]
fn a_bad_port_attribute_is_an_error_with_its_line() {
    let r = parse("# D\n\n## S\n\n```bash {\"port\": \"web\"}\n./serve\n```\n");
    let d = r
        .diagnostics
        .iter()
        .find(|d| d.message.contains("`port`"))
        .expect("diagnostic");
    assert_eq!((d.severity, d.line), (Severity::Error, 5));
}

const CHAT: &str = "# Chat\n\n## Demo 1\n\n1. Connect:\n   ```bash\n   python3 -m chat.cli --port 7001\n   ```\n\n2. Send:\n   ```\n   > hello there\n   > ^C\n   ```\n\n## Demo 2\n\n```bash\n# Client 1 -> Node 1\n./bin/chat --node 1\n\n# Client 2 -> Node 2\n./bin/chat --node 2\n```\n\n```\nClient 1: > first\nClient 2: > second\nClient 2: Ctrl+D\n```\n";

#[test]
fn a_block_whose_next_block_types_into_it_is_interactive() {
    let r = parse(CHAT);
    let b = blocks(&r);
    assert!(b[0].interactive);
    assert!(!b[0].background);
    assert!(
        b[0].inferred
            .iter()
            .any(|r| r == "interactive: the next block types into terminal `main`"),
        "{:?}",
        b[0].inferred
    );
    assert_eq!(b[1].kind, BlockKind::Input);
    assert_eq!(b[1].terminal, "main");
}

#[test]
fn role_comments_split_a_block_and_targeted_input_follows_them() {
    let r = parse(CHAT);
    let b = blocks(&r);
    assert_eq!(
        texts(&b[2].commands),
        vec![
            ("Client 1", "./bin/chat --node 1"),
            ("Client 2", "./bin/chat --node 2")
        ]
    );
    // Split into terminals, but interactive: each client waits for input where it runs.
    assert!(b[2].interactive);
    assert!(!b[2].background);
    assert_eq!(b[3].kind, BlockKind::Input);
    assert_eq!(b[3].terminal, "Client 1");
    let targets: Vec<_> = b[3].input.iter().map(|l| l.target.as_deref()).collect();
    assert_eq!(
        targets,
        vec![Some("Client 1"), Some("Client 2"), Some("Client 2")]
    );
    assert_eq!(r.terminals, vec!["main", "Client 1", "Client 2"]);
}

#[test]
fn control_keys_are_input_lines() {
    let r = parse(CHAT);
    let b = blocks(&r);
    let lines: Vec<_> = b[1]
        .input
        .iter()
        .map(|l| (l.text.as_str(), l.control))
        .collect();
    assert_eq!(lines, vec![("hello there", None), ("", Some('c'))]);
    assert_eq!(b[1].prompt.as_deref(), Some(">"));
    let last = &b[3].input[2];
    assert_eq!((last.text.as_str(), last.control), ("", Some('d')));
    assert_eq!(last.target.as_deref(), Some("Client 2"));
}

#[test]
fn a_block_of_only_control_keys_is_input() {
    let r = parse("# D\n\n## S\n\n```bash\n./bin/tail-logs --follow-ish\n```\n\n```\n^C\n```\n\n```text\nctrl-z\n```\n\n```bash {\"terminal\": \"main\"}\n^\\\n```\n\n```bash\n^C\n```\n\n```bash\n./server\n^C\n```\n");
    let b = blocks(&r);
    assert_eq!(b[1].kind, BlockKind::Input);
    assert_eq!(b[1].input[0].control, Some('c'));
    assert_eq!(b[1].prompt, None);
    assert_eq!(b[2].kind, BlockKind::Input);
    assert_eq!(b[2].input[0].control, Some('z'));
    assert_eq!(b[3].kind, BlockKind::Input);
    assert_eq!(b[3].input[0].control, Some('\\'));
    // A shell block without a terminal attribute stays shell code.
    assert_ne!(b[4].kind, BlockKind::Input);
    assert_ne!(b[5].kind, BlockKind::Input);
    // A control key after a prompt, or an output line that only looks like one.
    let r = parse("# D\n\n## S\n\n```\n> ^D\n```\n\n```\n> ^Cancel\n```\n");
    let b = blocks(&r);
    assert_eq!(
        (b[0].input[0].control, b[0].prompt.as_deref()),
        (Some('d'), Some(">"))
    );
    assert_eq!(
        (b[1].input[0].control, b[1].input[0].text.as_str()),
        (None, "^Cancel")
    );
}

#[test]
fn known_interactive_programs_make_a_block_interactive() {
    let r = parse("# D\n\n## S\n\n```bash\ncd app && python3 -m app.client_tui --port 5001\n```\n\n```bash\npsql -h localhost demo\n```\n\n```bash\npython3 server.py\n```\n\n```bash\npsql -c 'select 1'\n```\n");
    let b = blocks(&r);
    assert!(b[0].interactive);
    assert!(b[0]
        .inferred
        .contains(&"interactive: a client program waits for input".to_string()));
    assert!(b[1].interactive);
    assert!(!b[2].interactive);
    assert!(b[2].background);
    assert!(!b[3].interactive);
}

#[test]
fn the_interactive_attribute_decides_and_only_true_makes_a_block_interactive() {
    let r = parse("# D\n\n## S\n\n```bash {\"interactive\": \"true\"}\n./custom-shell\n```\n\n```bash {\"interactive\": false}\npython3\n```\n\n```\n> print(1)\n```\n\n```bash {\"interactive\": true, \"background\": true}\n./console --serve\n```\n\n```sh { interactive=false }\necho plain\n```\n");
    let b = blocks(&r);
    assert!(b[0].interactive);
    assert!(b[0]
        .inferred
        .contains(&"interactive: `interactive` attribute".to_string()));
    // `false` wins over the program and the input after it.
    assert!(!b[1].interactive);
    assert!(b[3].interactive && b[3].background);
    assert!(!b[4].interactive);
}

#[test]
fn the_next_steps_input_makes_the_last_block_of_a_step_interactive() {
    let r = parse("# D\n\n## Start the console\n\n```bash\n./bin/console\n```\n\n## Use it\n\n```\n> status\n```\n\n## Unrelated\n\n```bash\n./bin/other\n```\n\n## Later\n\n```bash\n./bin/console\n```\n\n```\n> status\n```\n");
    let b = blocks(&r);
    assert!(b[0].interactive);
    assert_eq!(b[1].terminal, "main");
    assert!(
        !b[2].interactive,
        "the next step's first block is not input"
    );
    assert!(b[3].interactive);
}

#[test]
fn an_interactive_long_runner_is_not_background() {
    let r = parse("# D\n\n## S\n\n```bash\npython3 server.py --repl\n```\n\n```\n> reload\n```\n");
    let b = blocks(&r);
    assert!(b[0].interactive);
    assert!(!b[0].background);
    assert_eq!(b[0].terminal, "main");
    assert!(!b[0].inferred.iter().any(|r| r.starts_with("background: ")));
    assert_eq!(b[1].terminal, "main");
}

#[test]
fn input_for_another_terminal_does_not_make_a_block_interactive() {
    let r = parse("# D\n\n## S\n\n```bash {\"terminal\": \"ops\"}\n./bin/deploy\n```\n\n```\nClient 1: > hi\n```\n");
    let b = blocks(&r);
    assert!(!b[0].interactive);
    assert_eq!(b[1].terminal, "Client 1");
}

#[test]
fn input_where_no_program_was_started_is_linted() {
    let r = parse("# D\n\n## S\n\n```\n> too early\n```\n\n```bash\n./bin/chat\n```\n\n```\n> fine\nGhost: > nobody there\n```\n");
    let found: Vec<_> = lint::lint(&r)
        .into_iter()
        .filter(|d| d.message.starts_with("input for terminal"))
        .collect();
    let lines: Vec<_> = found
        .iter()
        .map(|d| (d.line, d.message.contains("`Ghost`")))
        .collect();
    assert_eq!(lines, vec![(5, false), (13, true)], "{found:?}");
}

#[test]
fn typing_comes_from_attributes_and_front_matter() {
    let r = parse("---\ntyping: keys\n---\n# D\n\n## S\n\n```bash {\"typing\": 30}\necho one\n```\n\n```bash {\"typing\": \"fast\"}\necho two\n```\n");
    assert_eq!(r.front_matter.typing, Some(Typing::Keys));
    let b = blocks(&r);
    assert_eq!(b[0].attributes.typing, Some(Typing::Cps(30.0)));
    assert_eq!(b[1].attributes.typing, None);
    let d = r
        .diagnostics
        .iter()
        .find(|d| d.message.contains("`typing`"))
        .expect("diagnostic");
    assert_eq!((d.severity, d.line), (Severity::Error, 12));
}

#[test]
fn untargeted_input_after_a_server_goes_to_the_client_not_the_server() {
    let r = parse(
        "# Demo\n\n## Client\n\n```bash\npython3 chat/client.py --port 5301\n```\n\n\
         ## Restart a node\n\n```bash {\"terminal\": \"Node 3\", \"background\": true}\n\
         python3 chat/node.py --port 5303\n```\n\n```\n> back again\n```\n",
    );
    let b = blocks(&r);
    assert!(b[0].interactive, "{:?}", b[0].inferred);
    assert!(b[1].background && !b[1].interactive, "{:?}", b[1].inferred);
    assert_eq!(b[2].terminal, "main", "{:?}", b[2].inferred);
}
