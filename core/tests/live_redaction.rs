//! A live view through `redacting_sink` on a real bash in a real PTY: secrets never
//! reach it, even when the output pauses in the middle of a line, and the screen
//! redraw a late window starts from is redacted too.

mod terminal_common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cuedeck_core::record::live_redact::redacting_sink;
use cuedeck_core::record::redact::{redact_bytes, Redactor};
use cuedeck_core::terminal::{Acknowledge, OutputSink, StepStatus};
use terminal_common::{session, WAIT};

/// What the view received, and whether the worker has let go of it.
#[derive(Default)]
struct View {
    bytes: Vec<u8>,
    /// Each batch the view got, as text.
    batches: Vec<String>,
    dropped: bool,
}

struct ViewSink(Arc<Mutex<View>>);

impl OutputSink for ViewSink {
    fn on_output(&mut self, bytes: &[u8], _at: Duration) {
        let mut view = self.0.lock().unwrap();
        view.bytes.extend_from_slice(bytes);
        view.batches
            .push(String::from_utf8_lossy(bytes).into_owned());
    }
}

impl Drop for ViewSink {
    fn drop(&mut self) {
        self.0.lock().unwrap().dropped = true;
    }
}

/// A live view behind `redactor`: what it shows, and the sink to attach.
fn masked_view(redactor: Arc<Redactor>) -> (Arc<Mutex<View>>, Box<dyn OutputSink>) {
    let view = Arc::new(Mutex::new(View::default()));
    let sink = redacting_sink(redactor, Box::new(ViewSink(Arc::clone(&view))));
    (view, sink)
}

fn redactor() -> Arc<Redactor> {
    Arc::new(Redactor::new(&[
        "sk-[A-Za-z0-9]+".into(),
        "hunter2-[a-z-]+".into(),
    ]))
}

fn shown(view: &Mutex<View>) -> String {
    String::from_utf8_lossy(&view.lock().unwrap().bytes).into_owned()
}

/// Polls until `done` holds for what the view shows.
fn wait_until(view: &Mutex<View>, what: &str, done: impl Fn(&str) -> bool) {
    let deadline = Instant::now() + WAIT;
    loop {
        let text = shown(view);
        if done(&text) {
            return;
        }
        assert!(Instant::now() < deadline, "no {what} in {text:?}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn secrets_never_reach_a_live_view_even_when_output_pauses_mid_line() {
    let (s, _home) = session("main");
    let (view, sink) = masked_view(redactor());
    let (id, _) = s.attach(sink, Acknowledge::Never);

    // The secret's end is printed half a second after its start, so the start is
    // shown on its own (the quiet period) before the rest arrives. The typed command
    // spells the end as `%s%s` so the end never appears in the echo either.
    let out = s
        .run_command(
            "printf 'key=sk-abc'; sleep 0.5; printf '%s%s!\\n' DEF G77; echo done-1",
            WAIT,
        )
        .unwrap();
    assert_eq!(out.status, StepStatus::Ok, "{out:?}");
    assert_eq!(
        out.output, "key=sk-abcDEFG77!\ndone-1\n",
        "the shell saw it all"
    );
    let out = s.run_command("echo hunter2-secret-value", WAIT).unwrap();
    assert_eq!(out.status, StepStatus::Ok, "{out:?}");

    // The prompt after the last command has no newline: it shows once the output
    // pauses.
    let mask = format!("{}\r\n", "*".repeat("hunter2-secret-value".len()));
    wait_until(&view, "the masked output and the prompt after it", |t| {
        t.rfind(&mask).is_some_and(|i| t[i..].contains("test$ "))
    });

    s.detach(id);
    let deadline = Instant::now() + WAIT;
    while !view.lock().unwrap().dropped {
        assert!(
            Instant::now() < deadline,
            "the redaction worker never let go"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    let text = shown(&view);
    for secret in ["sk-abc", "abcDEF", "DEFG77", "hunter2", "secret-value"] {
        assert!(
            !text.contains(secret),
            "{secret:?} reached the view: {text:?}"
        );
    }
    assert!(text.contains("key=************!\r\n"), "{text:?}");
    let batches = view.lock().unwrap().batches.clone();
    assert!(
        batches.iter().any(|b| b.ends_with("key=******")),
        "the line's start was shown during the pause, masked: {batches:?}"
    );
    assert!(text.contains("done-1\r\n"), "{text:?}");
    assert!(
        text.contains("printf 'key="),
        "the typed command is shown: {text:?}"
    );
    assert!(text.contains("test$ "), "{text:?}");
    assert_eq!(s.close(), 0, "every process of the terminal ended");
}

#[test]
fn the_redraw_a_late_view_starts_from_is_redacted() {
    let (s, _home) = session("main");
    let out = s
        .run_command("echo \"token: sk-$((6 * 7))abc\"; echo visible", WAIT)
        .unwrap();
    assert_eq!(out.output, "token: sk-42abc\nvisible\n");
    let (view, sink) = masked_view(redactor());
    let (id, snapshot) = s.attach(sink, Acknowledge::Never);
    let raw = String::from_utf8_lossy(&snapshot.redraw).into_owned();
    assert!(
        raw.contains("sk-42abc"),
        "the screen model holds it: {raw:?}"
    );
    let redraw = String::from_utf8(redact_bytes(&redactor(), &snapshot.redraw)).unwrap();
    assert!(!redraw.contains("sk-42abc"), "{redraw:?}");
    assert!(redraw.contains("token: ********"), "{redraw:?}");
    assert!(redraw.contains("visible"), "{redraw:?}");

    // And the stream that follows it.
    s.run_command("echo again sk-$((6 * 7))xyz", WAIT).unwrap();
    wait_until(&view, "the masked line", |t| {
        t.contains("again ********\r\n")
    });
    s.detach(id);
    assert!(!shown(&view).contains("sk-42"), "{}", shown(&view));
    assert_eq!(s.close(), 0);
}

#[test]
fn a_secret_printed_in_pieces_never_shows_its_beginning() {
    let (s, _home) = session("main");
    let (view, sink) = masked_view(redactor());
    let (id, _) = s.attach(sink, Acknowledge::Never);

    // As a secret typed key by key: pieces with pauses longer than the quiet period
    // and shorter than the hold. The command spells the pieces through variables so
    // its echo never holds them.
    let out = s
        .run_command(
            "a=hu; b=nter2; printf \"pass: $a\"; sleep 0.3; printf \"$b-se\"; sleep 0.3; printf 'cret-value\\n'",
            WAIT,
        )
        .unwrap();
    assert_eq!(
        out.output, "pass: hunter2-secret-value\n",
        "the shell saw it all"
    );
    let mask = format!("pass: {}\r\n", "*".repeat("hunter2-secret-value".len()));
    wait_until(&view, "the masked line", |t| t.contains(&mask));
    let batches = view.lock().unwrap().batches.clone();
    assert!(
        batches.iter().any(|b| b.ends_with("pass: ")),
        "the line's start was shown during the pauses, without what may be a secret: {batches:?}"
    );
    assert!(!shown(&view).contains("pass: h"), "{batches:?}");

    // What only looked like a secret's beginning is shown once the hold is over.
    let asked = Instant::now();
    // (The sleep keeps the prompt from following at once: `the huntest$ ` would no
    // longer be a possible match.)
    s.write(b"x=hu; printf \"the ${x}n\"; sleep 2\n").unwrap();
    wait_until(&view, "the held beginning, after the hold", |t| {
        t.contains("the hun")
    });
    assert!(
        asked.elapsed() >= cuedeck_core::record::live_redact::MATCH_HOLD,
        "shown before the hold was over: {:?}",
        asked.elapsed()
    );
    s.detach(id);
    assert_eq!(s.close(), 0);
}

#[test]
fn a_late_view_starts_masked_where_a_masked_block_printed_before() {
    let home = terminal_common::home();
    let mut options = terminal_common::options("main", home.path());
    let base = redactor();
    options.masked_screen = Some(Arc::clone(&base));
    let s = cuedeck_core::terminal::Session::spawn(options).expect("spawn shell");
    s.wait_ready(WAIT).expect("first prompt");

    // A `{"redact": true}` block: its terminal masks everything while it runs.
    let during = Arc::new(base.union(&Redactor::new(&[".+".into()])));
    s.set_redaction(&during);
    s.run_command("echo \"pin: $((1000 + 234))-open\"", WAIT)
        .unwrap();
    s.set_redaction(&base);
    s.run_command("echo visible sk-$((6 * 7))abc", WAIT)
        .unwrap();

    let plain = String::from_utf8_lossy(&s.snapshot().redraw).into_owned();
    assert!(
        plain.contains("1234-open"),
        "the plain screen holds it: {plain:?}"
    );
    let (_view, sink) = masked_view(Arc::clone(&base));
    let (id, snapshot) = s.attach_masked(sink, Acknowledge::Never);
    let redraw = String::from_utf8_lossy(&snapshot.redraw).into_owned();
    assert!(
        !redraw.contains("1234"),
        "the masked block's output: {redraw:?}"
    );
    assert!(!redraw.contains("sk-42"), "a pattern's match: {redraw:?}");
    assert!(redraw.contains("visible ********"), "{redraw:?}");
    s.detach(id);
    assert_eq!(s.close(), 0);
}
