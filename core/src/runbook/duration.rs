//! Human durations as runbook authors write them: "30s", "500ms", "1m30s",
//! "5 minutes", "1.5 min", "2 hours", and clock times "1:30".

use std::sync::LazyLock;

use regex::Regex;

static PART: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)^\s*(\d+(?:\.\d+)?)\s*(milliseconds?|ms|seconds?|secs?|s|minutes?|mins?|m|hours?|hrs?|h)",
    )
    .expect("static regex")
});

/// Parses a duration into milliseconds. A bare number is seconds.
pub fn parse_duration_ms(text: &str) -> Option<u64> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    if let Ok(seconds) = text.parse::<f64>() {
        return (seconds.is_finite() && seconds >= 0.0).then_some((seconds * 1000.0) as u64);
    }
    if let Some(clock) = parse_clock_seconds(text) {
        return Some(u64::from(clock) * 1000);
    }
    let mut rest = text;
    let mut total = 0f64;
    while !rest.trim().is_empty() {
        let caps = PART.captures(rest)?;
        let value: f64 = caps[1].parse().ok()?;
        let unit = caps[2].to_ascii_lowercase();
        let factor = match unit.as_str() {
            "ms" => 1.0,
            u if u.starts_with("millisecond") => 1.0,
            u if u.starts_with('s') => 1000.0,
            u if u.starts_with('m') => 60_000.0,
            _ => 3_600_000.0,
        };
        total += value * factor;
        rest = rest[caps[0].len()..].trim_start_matches([' ', ',']);
        rest = rest.strip_prefix("and ").unwrap_or(rest);
    }
    Some(total as u64)
}

static RANGE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^\s*(\d+(?:\.\d+)?)\s*(?:-|–|—|to)\s*(\d+(?:\.\d+)?)\s*([a-z]+)\s*$")
        .expect("static regex")
});

static CLOCK_RANGE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s*(\d{1,2}:\d{2}(?::\d{2})?)\s*(?:-|–|—|to)\s*(\d{1,2}:\d{2}(?::\d{2})?)\s*$")
        .expect("static regex")
});

/// A time budget as authors write one, in whole seconds: "5 min", "2 Minutes",
/// "~30s", "2-3 min" (the upper bound: the time the part may take), "0:00 - 5:00"
/// (the span). `None` for anything else ("3 weeks", "soon").
pub fn budget_seconds(text: &str) -> Option<u32> {
    let t = text.trim().trim_start_matches('~').trim();
    let t = t.strip_prefix("about ").unwrap_or(t).trim();
    if let Some((start, end)) = clock_range(t) {
        return Some(end - start);
    }
    let ms = match RANGE.captures(t) {
        Some(caps) => parse_duration_ms(&format!("{} {}", &caps[2], &caps[3]))?,
        None if t.parse::<f64>().is_ok() => return None,
        None => parse_duration_ms(t)?,
    };
    u32::try_from(ms / 1000).ok().filter(|s| *s > 0)
}

/// "0:00-1:00" -> (0, 60); the end may not come before the start.
pub fn clock_range(text: &str) -> Option<(u32, u32)> {
    if !text.contains(':') {
        return None;
    }
    let caps = CLOCK_RANGE.captures(text)?;
    let start = parse_clock_seconds(&caps[1])?;
    let end = parse_clock_seconds(&caps[2])?;
    (end >= start).then_some((start, end))
}

/// "1:30" -> 90, "1:02:03" -> 3723.
pub fn parse_clock_seconds(text: &str) -> Option<u32> {
    let parts: Vec<&str> = text.trim().split(':').collect();
    if !(2..=3).contains(&parts.len())
        || parts
            .iter()
            .any(|p| p.is_empty() || p.len() > 2 && p != &parts[0])
    {
        return None;
    }
    let mut seconds: u32 = 0;
    for part in parts {
        let n: u32 = part.parse().ok()?;
        seconds = seconds.checked_mul(60)?.checked_add(n)?;
    }
    Some(seconds)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units() {
        assert_eq!(parse_duration_ms("30s"), Some(30_000));
        assert_eq!(parse_duration_ms("500ms"), Some(500));
        assert_eq!(parse_duration_ms("1m30s"), Some(90_000));
        assert_eq!(parse_duration_ms("5 minutes"), Some(300_000));
        assert_eq!(parse_duration_ms("1 minute"), Some(60_000));
        assert_eq!(parse_duration_ms("1.5 min"), Some(90_000));
        assert_eq!(parse_duration_ms("2 hours"), Some(7_200_000));
        assert_eq!(parse_duration_ms("45"), Some(45_000));
        assert_eq!(parse_duration_ms("1:30"), Some(90_000));
        assert_eq!(parse_duration_ms("soon"), None);
        assert_eq!(parse_duration_ms("5 minutes of fun"), None);
    }

    #[test]
    fn budgets() {
        assert_eq!(budget_seconds("5 min"), Some(300));
        assert_eq!(budget_seconds("2 Minutes"), Some(120));
        assert_eq!(budget_seconds("2-3 min"), Some(180));
        assert_eq!(budget_seconds("2 – 3 minutes"), Some(180));
        assert_eq!(budget_seconds("~30s"), Some(30));
        assert_eq!(budget_seconds("00:00 - 05:00"), Some(300));
        assert_eq!(budget_seconds("3 weeks"), None);
        assert_eq!(budget_seconds("45"), None);
        assert_eq!(clock_range("5:00 – 8:00"), Some((300, 480)));
    }

    #[test]
    fn clocks() {
        assert_eq!(parse_clock_seconds("0:00"), Some(0));
        assert_eq!(parse_clock_seconds("4:00"), Some(240));
        assert_eq!(parse_clock_seconds("1:02:03"), Some(3723));
        assert_eq!(parse_clock_seconds("4"), None);
        assert_eq!(parse_clock_seconds("a:b"), None);
    }
}
