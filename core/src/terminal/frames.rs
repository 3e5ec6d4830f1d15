//! Frame skipping, mosh-style, for a view that falls behind.
//!
//! A window renders output far slower than a program can print it (xterm.js parses
//! a few MB/s in a webview; `seq 1 3000000` prints 21 MB in a tenth of a second).
//! Holding the program back until the view caught up (flow control alone) makes a
//! flood take as long as the view takes to draw every byte. Instead, once a view
//! owes more than [`BEHIND_ABOVE`] unacknowledged bytes, it is sent nothing more;
//! when the output goes quiet, or [`RESYNC_EVERY`] after it fell behind, and once it
//! has drawn what it had ([`CAUGHT_UP_BELOW`]), it is sent the screen model's whole
//! state instead ([`super::screen::Screen::resync`]) and the stream resumes. The
//! program runs at full speed, the view ends exactly where every byte would have
//! taken it, and recordings (which never acknowledge) still get every byte.
//!
//! For [`FLOOD_HOLD`] after a resync a view is behind again above only
//! [`BEHIND_AFTER_RESYNC_ABOVE`]: in a sustained flood it then gets resyncs (one screen
//! and its scrollback, ten a second at most) rather than 256 KiB of bytes between them
//! that it would parse only to scroll them past, and the garbage of which grew its web
//! process by hundreds of MB in a minute of `yes`.

use std::time::{Duration, Instant};

/// Unacknowledged bytes above which a view is behind and skips output.
pub const BEHIND_ABOVE: usize = 256 * 1024;
/// A view that skipped is resynced only once it owes at most this much.
pub const CAUGHT_UP_BELOW: usize = 32 * 1024;
/// While output goes on, a view that is behind is resynced this often at most.
pub const RESYNC_EVERY: Duration = Duration::from_millis(100);
/// Unacknowledged bytes above which a view resynced less than [`FLOOD_HOLD`] ago is
/// behind again.
pub const BEHIND_AFTER_RESYNC_ABOVE: usize = 32 * 1024;
/// How long after a resync the lower threshold holds.
pub const FLOOD_HOLD: Duration = Duration::from_secs(1);
/// How often the pipeline looks at views that are behind while output is quiet.
pub const TICK: Duration = Duration::from_millis(8);

/// Where one view stands.
#[derive(Debug, Default)]
pub struct ViewLag {
    /// When it fell behind; `None` while it gets the byte stream.
    behind_since: Option<Instant>,
    /// Its last resync drew a full-screen program's screen: the screen under it
    /// (which vt100 does not expose) is redrawn by another resync once it ends.
    resynced_in_alternate: bool,
    /// When it was last resynced.
    resynced_at: Option<Instant>,
}

impl ViewLag {
    /// Whether the view, owing `owed` bytes, gets the next batch.
    pub fn admit(&mut self, owed: usize, now: Instant) -> bool {
        let in_flood = self
            .resynced_at
            .is_some_and(|at| now.duration_since(at) < FLOOD_HOLD);
        let limit = if in_flood {
            BEHIND_AFTER_RESYNC_ABOVE
        } else {
            BEHIND_ABOVE
        };
        if self.behind_since.is_none() && owed > limit {
            self.behind_since = Some(now);
        }
        self.behind_since.is_none()
    }

    pub fn is_behind(&self) -> bool {
        self.behind_since.is_some()
    }

    /// Whether to send the view the whole state now. `quiet`: no output came for a
    /// while. `alternate`: a full-screen program has the screen.
    pub fn resync_due(&self, owed: usize, now: Instant, quiet: bool, alternate: bool) -> bool {
        let Some(since) = self.behind_since else {
            return self.resynced_in_alternate && !alternate;
        };
        owed <= CAUGHT_UP_BELOW && (quiet || now.duration_since(since) >= RESYNC_EVERY)
    }

    /// The view was sent the whole state at `now`: it gets the stream again.
    pub fn resynced(&mut self, alternate: bool, now: Instant) {
        self.behind_since = None;
        self.resynced_in_alternate = alternate;
        self.resynced_at = Some(now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_view_falls_behind_skips_and_is_resynced_once_it_caught_up() {
        let start = Instant::now();
        let mut lag = ViewLag::default();
        assert!(lag.admit(BEHIND_ABOVE, start));
        assert!(!lag.admit(BEHIND_ABOVE + 1, start));
        assert!(!lag.admit(0, start), "behind until resynced");
        let later = start + RESYNC_EVERY;
        assert!(
            !lag.resync_due(CAUGHT_UP_BELOW + 1, later, true, false),
            "still drawing"
        );
        assert!(
            !lag.resync_due(0, start, false, false),
            "output goes on: not yet"
        );
        assert!(lag.resync_due(0, start, true, false), "quiet: at once");
        assert!(
            lag.resync_due(0, later, false, false),
            "every 100 ms at most"
        );
        lag.resynced(false, later);
        assert!(!lag.resync_due(0, later, true, false));
        // Output goes on: behind again sooner, so a flood is drawn by resyncs.
        assert!(lag.admit(BEHIND_AFTER_RESYNC_ABOVE, later));
        assert!(!lag.admit(BEHIND_AFTER_RESYNC_ABOVE + 1, later));
        lag.resynced(false, later);
        let after_the_flood = later + FLOOD_HOLD;
        assert!(
            lag.admit(BEHIND_ABOVE, after_the_flood),
            "the usual margin again"
        );
        assert!(!lag.admit(BEHIND_ABOVE + 1, after_the_flood));
    }

    #[test]
    fn a_resync_inside_a_full_screen_program_is_redone_when_it_ends() {
        let mut lag = ViewLag::default();
        assert!(!lag.admit(BEHIND_ABOVE + 1, Instant::now()));
        lag.resynced(true, Instant::now());
        assert!(!lag.resync_due(0, Instant::now(), false, true));
        assert!(lag.resync_due(0, Instant::now(), false, false));
        lag.resynced(false, Instant::now());
        assert!(!lag.resync_due(0, Instant::now(), false, false));
    }
}
