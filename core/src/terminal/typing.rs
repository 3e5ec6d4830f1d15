//! Typing a command so the audience sees it typed: at about N characters a second
//! with a slight random jitter (as demo-magic does), or a few characters each time
//! the presenter presses a key, run only once it is fully typed and Enter is pressed
//! (as doitlive does). Stop (or a fallback to playback) ends the typing at once.

use std::collections::VecDeque;
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use super::error::Result;
use super::session::Session;
use super::tracker::wait_on;
use crate::runbook::Typing;

/// Characters typed per key press in `typing: keys`.
pub const KEYS_CHUNK: usize = 3;
/// The speed a rehearsal asked to type (`--typing`) types `typing: keys` blocks at.
pub const REHEARSAL_CPS: f64 = 40.0;

/// One key the presenter pressed while a command waits for keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Press {
    Enter,
    Other,
}

#[derive(Debug, Default)]
struct KeyState {
    /// A command waits for keys.
    active: bool,
    presses: VecDeque<Press>,
    aborted: bool,
}

/// The presenter's key presses, handed to the step that types on keys.
#[derive(Debug, Default)]
pub(crate) struct KeyFeed {
    state: Mutex<KeyState>,
    cond: Condvar,
}

impl KeyFeed {
    fn lock(&self) -> MutexGuard<'_, KeyState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn begin(&self) {
        *self.lock() = KeyState {
            active: true,
            ..KeyState::default()
        };
        self.cond.notify_all();
    }

    fn end(&self) {
        self.lock().active = false;
    }

    /// Takes one key press (`bytes` as the view sent it) when a command waits for
    /// keys; `false` when none does and the bytes should go to the terminal.
    pub(crate) fn press(&self, bytes: &[u8]) -> bool {
        let mut st = self.lock();
        if !st.active {
            return false;
        }
        let press = if bytes == b"\r" || bytes == b"\n" {
            Press::Enter
        } else {
            Press::Other
        };
        st.presses.push_back(press);
        self.cond.notify_all();
        true
    }

    /// [`KeyFeed::press`], once a command waits for keys (it may be about to: the
    /// window hears a block is typing on keys a moment before its terminal is ready
    /// for them); `false` if none does by `deadline`.
    pub(crate) fn press_when_waiting(&self, bytes: &[u8], deadline: Instant) -> bool {
        let waiting = wait_on(&self.state, &self.cond, deadline, |st| {
            st.active.then_some(())
        });
        waiting.is_some() && self.press(bytes)
    }

    /// Stop: the typing step gives up at once.
    pub(crate) fn abort(&self) {
        let mut st = self.lock();
        if st.active {
            st.aborted = true;
            self.cond.notify_all();
        }
    }

    pub(crate) fn waiting(&self) -> bool {
        self.lock().active
    }

    /// The next press, or `None` once aborted or past `deadline`.
    fn next(&self, deadline: Instant) -> Option<Press> {
        // Aborted: `Some(None)`, an answer that ends the wait with no press.
        wait_on(&self.state, &self.cond, deadline, |st| {
            if st.aborted {
                Some(None)
            } else {
                st.presses.pop_front().map(Some)
            }
        })
        .flatten()
    }
}

/// What a typed key sends: Enter for a line break, spaces for a tab (a tab would
/// ask the shell to complete).
fn key_bytes(c: char) -> Vec<u8> {
    match c {
        '\n' => b"\r".to_vec(),
        '\t' => b"  ".to_vec(),
        c => c.to_string().into_bytes(),
    }
}

/// A small xorshift generator for the typing jitter: no need for a crate.
struct Jitter(u64);

impl Jitter {
    fn new() -> Self {
        let seed = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0x9e37_79b9, |d| d.as_nanos() as u64);
        Self(seed | 1)
    }

    /// A factor in 0.6..1.4.
    fn factor(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        0.6 + (self.0 % 800) as f64 / 1000.0
    }
}

/// How typing ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Typed {
    /// Fully typed: Enter may be pressed.
    Done,
    /// Stopped (or out of time) before it was.
    Abandoned,
}

impl Session {
    /// Types `command` (without Enter) as `typing` says. `stopped` tells whether
    /// Stop was asked since the typing began.
    pub(crate) fn type_visibly(
        &self,
        command: &str,
        typing: Typing,
        deadline: Instant,
        stopped: impl Fn() -> bool,
    ) -> Result<Typed> {
        match typing {
            Typing::Cps(cps) => self.type_at(command, cps, deadline, stopped),
            Typing::Keys => self.type_on_keys(command, deadline),
        }
    }

    fn type_at(
        &self,
        command: &str,
        cps: f64,
        deadline: Instant,
        stopped: impl Fn() -> bool,
    ) -> Result<Typed> {
        let mut jitter = Jitter::new();
        let per_char = 1.0 / cps.clamp(1.0, 1000.0);
        for c in command.chars() {
            if stopped() || Instant::now() >= deadline {
                return Ok(Typed::Abandoned);
            }
            self.write(&key_bytes(c))?;
            std::thread::sleep(Duration::from_secs_f64(per_char * jitter.factor()));
        }
        Ok(Typed::Done)
    }

    /// Types [`KEYS_CHUNK`] characters per key press; once all is typed, waits for
    /// Enter. A line break in the command is typed as one chunk of its own.
    fn type_on_keys(&self, command: &str, deadline: Instant) -> Result<Typed> {
        self.keys.begin();
        let typed = self.type_on_keys_until(command, deadline);
        self.keys.end();
        typed
    }

    fn type_on_keys_until(&self, command: &str, deadline: Instant) -> Result<Typed> {
        let mut rest: VecDeque<char> = command.chars().collect();
        loop {
            let Some(press) = self.keys.next(deadline) else {
                return Ok(Typed::Abandoned);
            };
            if rest.is_empty() {
                if press == Press::Enter {
                    return Ok(Typed::Done);
                }
                continue;
            }
            let mut chunk = Vec::new();
            while chunk.len() < KEYS_CHUNK {
                let Some(c) = rest.pop_front() else { break };
                chunk.extend(key_bytes(c));
                if c == '\n' {
                    break;
                }
            }
            self.write(&chunk)?;
        }
    }

    /// Hands a key the presenter pressed to a command typed on keys; `false` when
    /// no command waits for keys (the key then goes to the terminal as usual).
    pub fn press_key(&self, bytes: &[u8]) -> bool {
        self.keys.press(bytes)
    }

    /// [`Session::press_key`] for a key pressed while the window shows a block typing
    /// on keys: waits up to `wait` for the command to be ready for it.
    pub fn press_key_for_typing(&self, bytes: &[u8], wait: Duration) -> bool {
        self.keys.press_when_waiting(bytes, Instant::now() + wait)
    }

    /// Whether a command in this terminal waits for the presenter's keys.
    pub fn waits_for_keys(&self) -> bool {
        self.keys.waiting()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jitter_stays_slight() {
        let mut j = Jitter::new();
        for _ in 0..1000 {
            let f = j.factor();
            assert!((0.6..1.4).contains(&f), "{f}");
        }
    }

    #[test]
    fn presses_are_taken_only_while_a_command_waits() {
        let feed = KeyFeed::default();
        assert!(!feed.press(b"a"));
        feed.begin();
        assert!(feed.press(b"a"));
        assert!(feed.press(b"\r"));
        let soon = Instant::now() + Duration::from_millis(50);
        assert_eq!(feed.next(soon), Some(Press::Other));
        assert_eq!(feed.next(soon), Some(Press::Enter));
        assert_eq!(feed.next(soon), None);
        feed.abort();
        assert_eq!(feed.next(Instant::now() + Duration::from_secs(5)), None);
        feed.end();
        assert!(!feed.press(b"a"));
    }

    #[test]
    fn a_key_pressed_just_before_the_command_waits_is_kept() {
        let feed = std::sync::Arc::new(KeyFeed::default());
        let early = {
            let feed = std::sync::Arc::clone(&feed);
            std::thread::spawn(move || {
                feed.press_when_waiting(b"x", Instant::now() + Duration::from_secs(5))
            })
        };
        std::thread::sleep(Duration::from_millis(50));
        feed.begin();
        assert!(early.join().unwrap());
        let soon = Instant::now() + Duration::from_secs(5);
        assert_eq!(feed.next(soon), Some(Press::Other));
        feed.end();
        assert!(!feed.press_when_waiting(b"x", Instant::now() + Duration::from_millis(20)));
    }
}
