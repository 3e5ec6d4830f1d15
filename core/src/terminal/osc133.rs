//! A streaming scanner for OSC 133 semantic-prompt marks in terminal output.
//!
//! The marks (`ESC ] 133 ; A BEL` ...) are *found*, not removed: the bytes go on
//! unchanged to the screen model, the recorder and xterm.js, all of which ignore
//! OSC 133. Sequences may be split across reads; the scanner keeps its state.
//! Both terminators are accepted: BEL and ST (`ESC \`).

/// One semantic-prompt mark.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    /// `A`: the prompt starts.
    PromptStart,
    /// `B`: the prompt ends, the shell waits for a command.
    CommandStart,
    /// `C`: the command was accepted, its output starts.
    OutputStart,
    /// `D;code`: the command ended (the code is absent when the shell sent none).
    CommandEnd(Option<i32>),
}

const ESC: u8 = 0x1b;
const BEL: u8 = 0x07;
/// OSC payloads longer than this are not OSC 133 marks; they are skipped.
const MAX_PAYLOAD: usize = 32;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Ground,
    Esc,
    Osc,
    OscEsc,
    /// Inside a long OSC that cannot be a mark: wait for its terminator.
    Skip,
    SkipEsc,
}

/// Finds OSC 133 marks in a byte stream fed chunk by chunk.
#[derive(Debug)]
pub struct Osc133Scanner {
    state: State,
    payload: Vec<u8>,
}

impl Default for Osc133Scanner {
    fn default() -> Self {
        Self::new()
    }
}

impl Osc133Scanner {
    pub fn new() -> Self {
        Self {
            state: State::Ground,
            payload: Vec::with_capacity(MAX_PAYLOAD),
        }
    }

    /// Scans `chunk`, appending each mark with the offset just past its terminator.
    pub fn scan(&mut self, chunk: &[u8], marks: &mut Vec<(usize, Mark)>) {
        let mut i = 0;
        while i < chunk.len() {
            if self.state == State::Ground {
                match memchr::memchr(ESC, &chunk[i..]) {
                    Some(at) => i += at,
                    None => return,
                }
            }
            if let Some(mark) = self.step(chunk[i]) {
                marks.push((i + 1, mark));
            }
            i += 1;
        }
    }

    fn step(&mut self, byte: u8) -> Option<Mark> {
        match self.state {
            State::Ground => {
                self.state = if byte == ESC {
                    State::Esc
                } else {
                    State::Ground
                }
            }
            State::Esc => {
                self.state = match byte {
                    b']' => State::Osc,
                    ESC => State::Esc,
                    _ => State::Ground,
                };
                self.payload.clear();
            }
            State::Osc => return self.osc_byte(byte),
            State::OscEsc => {
                if byte == b'\\' {
                    self.state = State::Ground;
                    return parse_payload(&self.payload);
                }
                // An ESC that does not end the OSC starts a new sequence.
                self.state = State::Esc;
                return self.step(byte);
            }
            State::Skip => match byte {
                BEL => self.state = State::Ground,
                ESC => self.state = State::SkipEsc,
                _ => {}
            },
            State::SkipEsc => {
                self.state = if byte == b'\\' {
                    State::Ground
                } else {
                    State::Skip
                };
            }
        }
        None
    }

    fn osc_byte(&mut self, byte: u8) -> Option<Mark> {
        match byte {
            BEL => {
                self.state = State::Ground;
                parse_payload(&self.payload)
            }
            ESC => {
                self.state = State::OscEsc;
                None
            }
            _ if self.payload.len() >= MAX_PAYLOAD => {
                self.state = State::Skip;
                None
            }
            _ => {
                self.payload.push(byte);
                None
            }
        }
    }
}

fn parse_payload(payload: &[u8]) -> Option<Mark> {
    let rest = payload.strip_prefix(b"133;")?;
    let (kind, args) = match rest.split_first()? {
        (k, [b';', args @ ..]) => (*k, Some(args)),
        (k, _) => (*k, None),
    };
    match kind {
        b'A' => Some(Mark::PromptStart),
        b'B' => Some(Mark::CommandStart),
        b'C' => Some(Mark::OutputStart),
        b'D' => Some(Mark::CommandEnd(args.and_then(parse_exit_code))),
        _ => None,
    }
}

fn parse_exit_code(args: &[u8]) -> Option<i32> {
    let first = args.split(|&b| b == b';').next()?;
    std::str::from_utf8(first).ok()?.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan_all(chunks: &[&[u8]]) -> Vec<Mark> {
        let mut scanner = Osc133Scanner::new();
        let mut marks = Vec::new();
        for chunk in chunks {
            scanner.scan(chunk, &mut marks);
        }
        marks.into_iter().map(|(_, m)| m).collect()
    }

    #[test]
    fn finds_every_kind_with_both_terminators() {
        let bytes = b"\x1b]133;A\x07$ \x1b]133;B\x07ls\r\n\x1b]133;C\x1b\\out\x1b]133;D;127\x07";
        assert_eq!(
            scan_all(&[bytes]),
            vec![
                Mark::PromptStart,
                Mark::CommandStart,
                Mark::OutputStart,
                Mark::CommandEnd(Some(127))
            ]
        );
    }

    #[test]
    fn marks_split_across_chunks_are_found() {
        let bytes: &[u8] = b"ab\x1b]133;D;1\x07cd";
        for split in 0..bytes.len() {
            let (a, b) = bytes.split_at(split);
            assert_eq!(
                scan_all(&[a, b]),
                vec![Mark::CommandEnd(Some(1))],
                "split at {split}"
            );
        }
    }

    #[test]
    fn offsets_point_past_the_terminator() {
        let mut scanner = Osc133Scanner::new();
        let mut marks = Vec::new();
        scanner.scan(b"xy\x1b]133;C\x07z", &mut marks);
        assert_eq!(marks, vec![(10, Mark::OutputStart)]);
    }

    #[test]
    fn other_sequences_are_ignored() {
        let title = [b"\x1b]0;".as_slice(), &[b'x'; 100], b"\x07"].concat();
        let bytes = [
            title.as_slice(),
            b"\x1b[31mred\x1b[0m\x1b]133;D\x07\x1b]1337;foo\x07",
        ]
        .concat();
        assert_eq!(scan_all(&[&bytes]), vec![Mark::CommandEnd(None)]);
    }
}
