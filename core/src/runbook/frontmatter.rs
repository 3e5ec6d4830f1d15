//! YAML front matter: Cuedeck's keys (title, shell, cwd, env, services, metrics,
//! redact, redact_presenter, end, duration, typing) and Runme's (shell, cwd, skipPrompts, `runme: {...}`).

use serde_json::Value;

use super::duration::parse_duration_ms;
use super::model::{
    Diagnostic, FrontMatter, JsonExpectation, MetricFormat, MetricSource, Origin, ServiceProbe,
    Severity,
};

pub const DEFAULT_INTERVAL_MS: u64 = 1000;
/// A health probe's default timeout: long enough for a loaded laptop, short enough
/// that a hung service turns red within a couple of intervals.
pub const DEFAULT_TIMEOUT_MS: u64 = 2000;
/// A health answer slower than this by default shows the service as degraded.
pub const DEFAULT_SLOW_MS: u64 = 1000;

/// Front matter and what it declares.
#[derive(Debug, Default)]
pub struct Parsed {
    pub front_matter: FrontMatter,
    pub services: Vec<ServiceProbe>,
    pub metrics: Vec<MetricSource>,
    pub diagnostics: Vec<Diagnostic>,
    /// The body with the front matter replaced by blank lines (line numbers keep).
    pub body: String,
}

/// Splits off and reads the front matter, if the text opens with `---`.
pub fn split(text: &str) -> Parsed {
    let mut parsed = Parsed {
        body: text.to_string(),
        ..Parsed::default()
    };
    let mut lines = text.split_inclusive('\n');
    if lines.next().map(str::trim_end) != Some("---") {
        return parsed;
    }
    let mut yaml = String::new();
    let mut end_line = None;
    for (i, line) in lines.enumerate() {
        let t = line.trim_end();
        if t == "---" || t == "..." {
            end_line = Some(i + 2);
            break;
        }
        yaml.push_str(line);
    }
    let Some(end_line) = end_line else {
        parsed
            .diagnostics
            .push(error(1, "front matter opened with `---` is never closed"));
        return parsed;
    };
    parsed.front_matter.lines = Some((1, end_line));
    parsed.body = blank_lines(end_line)
        + &text
            .split_inclusive('\n')
            .skip(end_line)
            .collect::<String>();
    read_yaml(&yaml, &mut parsed);
    parsed
}

fn blank_lines(n: usize) -> String {
    "\n".repeat(n)
}

fn error(line: usize, message: impl Into<String>) -> Diagnostic {
    Diagnostic {
        severity: Severity::Error,
        line,
        message: message.into(),
    }
}

fn warning(line: usize, message: impl Into<String>) -> Diagnostic {
    Diagnostic {
        severity: Severity::Warning,
        line,
        message: message.into(),
    }
}

fn read_yaml(yaml: &str, parsed: &mut Parsed) {
    let value: Value = match serde_norway::from_str(yaml) {
        Ok(v) => v,
        Err(e) => {
            // The YAML starts on line 2 of the file.
            let line = e.location().map_or(1, |l| l.line() + 1);
            parsed
                .diagnostics
                .push(error(line, format!("invalid front matter: {e}")));
            return;
        }
    };
    let map = match value {
        Value::Object(map) => map,
        Value::Null => return,
        _ => {
            parsed
                .diagnostics
                .push(error(2, "front matter must be a mapping of keys to values"));
            return;
        }
    };
    let fm = &mut parsed.front_matter;
    for (key, value) in map {
        let line = line_of_key(yaml, &key);
        match key.as_str() {
            "title" => fm.title = scalar(&value),
            "shell" => fm.shell = scalar(&value),
            "cwd" => fm.cwd = scalar(&value),
            "skipPrompts" => fm.skip_prompts = value.as_bool(),
            "env" => match value {
                Value::Object(env) => {
                    fm.env = env
                        .into_iter()
                        .filter_map(|(k, v)| Some((k, scalar(&v)?)))
                        .collect();
                    for (name, value) in &fm.env {
                        let at = env_line(yaml, name, line);
                        fm.env_lines.insert(name.clone(), at);
                        if let Some(why) = crate::trust::env::refusal(name, value) {
                            parsed.diagnostics.push(error(
                                at,
                                format!("front matter `env` may not set `{name}`: {why}"),
                            ));
                        }
                    }
                }
                _ => parsed
                    .diagnostics
                    .push(error(line, "front matter `env` must be a mapping")),
            },
            "redact" => read_redact(&value, line, fm, &mut parsed.diagnostics),
            "redact_presenter" | "redactPresenter" => match value {
                Value::Bool(b) => fm.redact_presenter = Some(b),
                _ => parsed.diagnostics.push(error(
                    line,
                    "front matter `redact_presenter` must be true or false",
                )),
            },
            "end" => fm.end = read_end(&value, line, &mut parsed.diagnostics),
            "duration" => {
                fm.duration_seconds = read_duration(&value, line, &mut parsed.diagnostics);
            }
            "typing" if !value.is_null() => match super::attributes::typing(&value) {
                Ok(typing) => fm.typing = Some(typing),
                Err(e) => parsed
                    .diagnostics
                    .push(error(line, format!("front matter `typing` {e}"))),
            },
            "typing" => {}
            "services" => {
                for (i, item) in items(&value).enumerate() {
                    match service(item, i, line) {
                        Ok(s) => parsed.services.push(s),
                        Err(m) => parsed.diagnostics.push(error(line, m)),
                    }
                }
            }
            "metrics" => {
                for (i, item) in items(&value).enumerate() {
                    match metric(item, i, line) {
                        Ok(m) => parsed.metrics.push(m),
                        Err(m) => parsed.diagnostics.push(error(line, m)),
                    }
                }
            }
            // Runme's own document metadata.
            "runme" | "terminalRows" | "category" | "tag" => {
                fm.extra.insert(key, value);
            }
            _ => {
                parsed.diagnostics.push(warning(
                    line,
                    format!("unknown front matter key `{key}` (kept)"),
                ));
                fm.extra.insert(key, value);
            }
        }
    }
    if fm.end.is_some() && fm.duration_seconds.is_some() {
        parsed.diagnostics.push(warning(
            line_of_key(yaml, "duration"),
            "front matter gives both `end` and `duration`: `duration` is ignored (the talk is timed to `end`)",
        ));
    }
}

/// 1-based file line where `key:` appears in the YAML (which starts on line 2).
fn line_of_key(yaml: &str, key: &str) -> usize {
    yaml.lines()
        .position(|l| declares(l, key))
        .map_or(1, |i| i + 2)
}

/// The line of env name `name`: the first line from `env:` on where it stands as a key
/// (block style `  NAME: v`, or flow style `env: { NAME: v }`), else `env`'s own.
fn env_line(yaml: &str, name: &str, env_line: usize) -> usize {
    let key = regex::Regex::new(&format!(
        r#"(^|[\s{{,])["']?{}["']?\s*:"#,
        regex::escape(name)
    ));
    let Ok(key) = key else {
        return env_line;
    };
    yaml.lines()
        .enumerate()
        .skip(env_line.saturating_sub(2))
        .find(|(_, l)| key.is_match(l))
        .map_or(env_line, |(i, _)| i + 2)
}

/// The line opens with `key:` (quoted or not), so `end` is not found on `endpoint:`.
fn declares(line: &str, key: &str) -> bool {
    let quotes = ['"', '\''];
    line.trim_start_matches(quotes)
        .strip_prefix(key)
        .is_some_and(|rest| {
            rest.trim_start_matches(quotes)
                .trim_start()
                .starts_with(':')
        })
}

fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn items(v: &Value) -> Box<dyn Iterator<Item = &Value> + '_> {
    match v {
        Value::Array(a) => Box::new(a.iter()),
        Value::Null => Box::new(std::iter::empty()),
        other => Box::new(std::iter::once(other)),
    }
}

fn read_redact(value: &Value, line: usize, fm: &mut FrontMatter, out: &mut Vec<Diagnostic>) {
    for item in items(value) {
        match scalar(item) {
            Some(p) => match regex::Regex::new(&p) {
                Ok(_) => fm.redact.push(p),
                Err(e) => out.push(error(
                    line,
                    format!("redact pattern `{p}` is not a valid regex: {e}"),
                )),
            },
            None => out.push(error(
                line,
                "redact entries must be strings (regular expressions)",
            )),
        }
    }
}

/// How a value reads in a message: a string as written, anything else as JSON.
fn shown(value: &Value) -> String {
    scalar(value).unwrap_or_else(|| value.to_string())
}

/// `end`: a 24-hour "H:MM" or "HH:MM", normalised to "HH:MM". Invalid: an error, and None.
fn read_end(value: &Value, line: usize, out: &mut Vec<Diagnostic>) -> Option<String> {
    if value.is_null() {
        return None;
    }
    let end = scalar(value).and_then(|s| clock_time(&s));
    if end.is_none() {
        out.push(error(
            line,
            format!(
                "front matter `end` `{}` is not a time of day: write H:MM or HH:MM, 24-hour (like 14:30)",
                shown(value)
            ),
        ));
    }
    end
}

/// "9:05" -> "09:05", "14:30" -> "14:30"; None for anything else.
fn clock_time(text: &str) -> Option<String> {
    let (hours, minutes) = text.trim().split_once(':')?;
    let digits = |s: &str, len: std::ops::RangeInclusive<usize>| {
        len.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
    };
    if !digits(hours, 1..=2) || !digits(minutes, 2..=2) {
        return None;
    }
    let (h, m): (u8, u8) = (hours.parse().ok()?, minutes.parse().ok()?);
    (h < 24 && m < 60).then(|| format!("{h:02}:{m:02}"))
}

/// `duration`: the talk's length in whole seconds. Invalid: an error, and None.
fn read_duration(value: &Value, line: usize, out: &mut Vec<Diagnostic>) -> Option<u32> {
    if value.is_null() {
        return None;
    }
    let seconds = scalar(value).and_then(|s| talk_seconds(&s));
    if seconds.is_none() {
        out.push(error(
            line,
            format!(
                "front matter `duration` `{}` is not a length of time: write it like 30m, 45 minutes, 1h30m, 90s, 1h, or a number of minutes",
                shown(value)
            ),
        ));
    }
    seconds
}

/// "30m", "1h30m", "90s", "45 minutes", or a bare number, which is minutes here (a
/// talk is not timed in seconds). Clock forms ("1:30") are refused: 1 h 30 or 1 min 30
/// cannot be told apart. Positive, rounded to the second.
fn talk_seconds(text: &str) -> Option<u32> {
    let text = text.trim();
    let ms = match text.parse::<f64>() {
        Ok(minutes) if minutes.is_finite() => (minutes * 60_000.0).round() as u64,
        Ok(_) => return None,
        Err(_) if text.contains(':') => return None,
        Err(_) => parse_duration_ms(text)?,
    };
    let seconds = u32::try_from(ms.saturating_add(500) / 1000).ok()?;
    (seconds > 0).then_some(seconds)
}

/// A positive duration under `key` (`1s`, `500ms`, or a number of seconds).
fn duration_ms(item: &Value, key: &str, default: u64, what: &str) -> Result<u64, String> {
    match item.get(key) {
        None => Ok(default),
        Some(Value::Number(n)) => n
            .as_f64()
            .filter(|s| *s > 0.0)
            .map(|s| (s * 1000.0) as u64)
            .ok_or_else(|| format!("{what}: {key} must be positive")),
        Some(v) => scalar(v)
            .and_then(|s| parse_duration_ms(&s))
            .filter(|ms| *ms > 0)
            .ok_or_else(|| format!("{what}: {key} `{v}` is not a duration like 1s")),
    }
}

fn interval(item: &Value, what: &str) -> Result<u64, String> {
    duration_ms(item, "interval", DEFAULT_INTERVAL_MS, what)
}

/// `field:` and `value:` together, or neither.
fn json_expectation(item: &Value, what: &str) -> Result<Option<JsonExpectation>, String> {
    match (item.get("field").and_then(scalar), item.get("value")) {
        (None, None) => Ok(None),
        (Some(field), Some(value)) => Ok(Some(JsonExpectation {
            field,
            value: value.clone(),
        })),
        _ => Err(format!(
            "{what}: `field` and `value` go together (the JSON body's field and the value it must hold)"
        )),
    }
}

fn url_of(item: &Value, what: &str) -> Result<String, String> {
    let url = item
        .get("url")
        .and_then(scalar)
        .ok_or_else(|| format!("{what} has no `url`"))?;
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        return Err(format!(
            "{what}: url `{url}` must start with http:// or https://"
        ));
    }
    Ok(url)
}

fn service(item: &Value, index: usize, line: usize) -> Result<ServiceProbe, String> {
    let name = item
        .get("name")
        .and_then(scalar)
        .unwrap_or_else(|| format!("service {}", index + 1));
    let what = format!("service `{name}`");
    let expect_status = match item.get("expect") {
        None => 200,
        Some(v) => scalar(v)
            .and_then(|s| s.parse::<u16>().ok())
            .filter(|c| (100..600).contains(c))
            .ok_or_else(|| format!("{what}: expect must be an HTTP status like 200"))?,
    };
    Ok(ServiceProbe {
        url: url_of(item, &what)?,
        interval_ms: interval(item, &what)?,
        timeout_ms: duration_ms(item, "timeout", DEFAULT_TIMEOUT_MS, &what)?,
        slow_ms: duration_ms(item, "slow", DEFAULT_SLOW_MS, &what)?,
        expect_status,
        expect_json: json_expectation(item, &what)?,
        name,
        origin: Origin::Declared,
        line,
    })
}

fn metric(item: &Value, index: usize, line: usize) -> Result<MetricSource, String> {
    let name = item
        .get("name")
        .and_then(scalar)
        .unwrap_or_else(|| format!("metrics {}", index + 1));
    let what = format!("metrics `{name}`");
    let format = match item.get("format").and_then(scalar).as_deref() {
        None | Some("json") => MetricFormat::Json,
        Some("prometheus") | Some("openmetrics") => MetricFormat::Prometheus,
        Some(other) => {
            return Err(format!(
                "{what}: format `{other}` is not json or prometheus"
            ))
        }
    };
    let series = items(item.get("series").unwrap_or(&Value::Null))
        .filter_map(scalar)
        .collect();
    Ok(MetricSource {
        url: url_of(item, &what)?,
        interval_ms: interval(item, &what)?,
        name,
        format,
        series,
        origin: Origin::Declared,
        line,
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn redact_presenter_is_read_and_defaults_to_masked() {
        let p = split("---\nredact_presenter: false\n---\n");
        assert_eq!(p.front_matter.redact_presenter, Some(false));
        assert!(!p.front_matter.redacts_presenter());
        assert!(p.diagnostics.is_empty(), "a known key: {:?}", p.diagnostics);
        assert!(split("---\ntitle: x\n---\n")
            .front_matter
            .redacts_presenter());
        let bad = split("---\nredact_presenter: maybe\n---\n");
        assert_eq!(bad.diagnostics.len(), 1);
        assert!(bad.front_matter.redacts_presenter());
    }

    use super::*;

    const FM: &str = "---\ntitle: GridPulse\nshell: bash\nenv: { API: \"http://localhost:5001\" }\nservices:\n  - { name: api, url: \"http://localhost:5001/health\", interval: 1s, expect: 200 }\nmetrics:\n  - { name: kong, url: \"http://localhost:8101/metrics\", format: prometheus, series: [\"kong_http_status{code=\\\"429\\\"}\"] }\nredact: [\"analytics-team-secret-key-\\\\w+\"]\n---\n# Body\n";

    #[test]
    fn reads_every_key() {
        let p = split(FM);
        assert!(p.diagnostics.is_empty(), "{:?}", p.diagnostics);
        assert_eq!(p.front_matter.title.as_deref(), Some("GridPulse"));
        assert_eq!(p.front_matter.env["API"], "http://localhost:5001");
        assert_eq!(p.services[0].name, "api");
        assert_eq!(p.services[0].interval_ms, 1000);
        assert_eq!(p.metrics[0].format, MetricFormat::Prometheus);
        assert_eq!(p.metrics[0].series, vec!["kong_http_status{code=\"429\"}"]);
        assert_eq!(
            p.front_matter.redact,
            vec!["analytics-team-secret-key-\\w+"]
        );
        assert_eq!(p.body.lines().count(), FM.lines().count());
        assert_eq!(p.body.lines().nth(10), Some("# Body"));
    }

    #[test]
    fn service_timeouts_and_json_expectation() {
        let p = split("---\nservices:\n  - { name: gw, url: \"http://localhost:1/health\", timeout: 500ms, slow: 200ms, field: checks.db, value: up }\n---\n");
        assert!(p.diagnostics.is_empty(), "{:?}", p.diagnostics);
        let s = &p.services[0];
        assert_eq!((s.timeout_ms, s.slow_ms), (500, 200));
        let json = s.expect_json.as_ref().unwrap();
        assert_eq!(json.field, "checks.db");
        assert_eq!(json.value, serde_json::json!("up"));

        let p = split("---\nservices:\n  - { name: gw, url: \"http://localhost:1/health\", field: status }\n---\n");
        assert!(p.diagnostics[0]
            .message
            .contains("`field` and `value` go together"));
        assert_eq!(p.diagnostics[0].line, 2);
    }

    #[test]
    fn invalid_yaml_names_its_line() {
        let p = split("---\ntitle: x\nservices: [\n---\n");
        assert_eq!(p.diagnostics.len(), 1);
        assert_eq!(p.diagnostics[0].severity, Severity::Error);
        assert!(p.diagnostics[0].line >= 2);
    }

    /// The front matter of a runbook with `lines` (each a `key: value` line) in it.
    fn with(lines: &str) -> Parsed {
        split(&format!("---\ntitle: T\n{lines}\n---\n# Body\n"))
    }

    #[test]
    fn end_is_a_time_of_day_normalised_to_hh_mm() {
        for (written, end) in [
            ("end: \"14:30\"", "14:30"),
            ("end: 14:30", "14:30"),
            ("end: \"9:05\"", "09:05"),
            ("end: 0:00", "00:00"),
            ("end: \" 23:59 \"", "23:59"),
        ] {
            let p = with(written);
            assert!(p.diagnostics.is_empty(), "{written}: {:?}", p.diagnostics);
            assert_eq!(p.front_matter.end.as_deref(), Some(end), "{written}");
        }
        assert_eq!(with("end:").front_matter.end, None);
        assert!(with("end:").diagnostics.is_empty());
    }

    #[test]
    fn invalid_end_is_an_error_naming_line_key_and_forms() {
        for written in [
            "end: \"24:00\"",
            "end: \"14:60\"",
            "end: \"14:3\"",
            "end: \"114:30\"",
            "end: 2pm",
            "end: 1430",
            "end: \"14:30:00\"",
            "end: [14, 30]",
        ] {
            let p = with(written);
            assert_eq!(p.front_matter.end, None, "{written}");
            let [d] = p.diagnostics.as_slice() else {
                panic!(
                    "{written}: one diagnostic expected, got {:?}",
                    p.diagnostics
                );
            };
            assert_eq!((d.severity, d.line), (Severity::Error, 3), "{written}");
            assert!(d.message.contains("`end`"), "{}", d.message);
            assert!(d.message.contains("H:MM or HH:MM"), "{}", d.message);
        }
    }

    #[test]
    fn duration_reads_talk_lengths() {
        for (written, seconds) in [
            ("duration: 30m", 1800),
            ("duration: 45 minutes", 2700),
            ("duration: 1h30m", 5400),
            ("duration: 90s", 90),
            ("duration: 1h", 3600),
            ("duration: 1 hour", 3600),
            ("duration: 30", 1800),
            ("duration: \"20\"", 1200),
            ("duration: 1.5", 90),
        ] {
            let p = with(written);
            assert!(p.diagnostics.is_empty(), "{written}: {:?}", p.diagnostics);
            assert_eq!(p.front_matter.duration_seconds, Some(seconds), "{written}");
        }
    }

    #[test]
    fn invalid_duration_is_an_error_naming_line_key_and_forms() {
        for written in [
            "duration: soon",
            "duration: \"1:30\"",
            "duration: 0",
            "duration: -5",
            "duration: 0s",
            "duration: 30 parsecs",
            "duration: true",
            "duration: { minutes: 30 }",
        ] {
            let p = with(written);
            assert_eq!(p.front_matter.duration_seconds, None, "{written}");
            let [d] = p.diagnostics.as_slice() else {
                panic!(
                    "{written}: one diagnostic expected, got {:?}",
                    p.diagnostics
                );
            };
            assert_eq!((d.severity, d.line), (Severity::Error, 3), "{written}");
            assert!(d.message.contains("`duration`"), "{}", d.message);
            assert!(d.message.contains("1h30m"), "{}", d.message);
        }
    }

    #[test]
    fn end_and_duration_together_warn_that_duration_is_ignored() {
        let p = with("duration: 30m\nend: \"14:30\"");
        assert_eq!(p.front_matter.end.as_deref(), Some("14:30"));
        assert_eq!(p.front_matter.duration_seconds, Some(1800));
        let [d] = p.diagnostics.as_slice() else {
            panic!("one diagnostic expected, got {:?}", p.diagnostics);
        };
        assert_eq!((d.severity, d.line), (Severity::Warning, 3));
        assert!(d.message.contains("`duration` is ignored"), "{}", d.message);
        // An invalid `end` leaves `duration` in charge: no warning, just the error.
        let p = with("end: noon\nduration: 30m");
        assert_eq!(p.front_matter.duration_seconds, Some(1800));
        assert_eq!(p.diagnostics.len(), 1);
        assert_eq!(p.diagnostics[0].severity, Severity::Error);
    }

    #[test]
    fn typing_is_a_speed_or_keys() {
        use crate::runbook::Typing;
        for (written, typing) in [
            ("typing: 40", Typing::Cps(40.0)),
            ("typing: \"25\"", Typing::Cps(25.0)),
            ("typing: 7.5", Typing::Cps(7.5)),
            ("typing: keys", Typing::Keys),
        ] {
            let p = with(written);
            assert!(p.diagnostics.is_empty(), "{written}: {:?}", p.diagnostics);
            assert_eq!(p.front_matter.typing, Some(typing), "{written}");
        }
        assert_eq!(with("typing:").front_matter.typing, None);
        assert!(with("typing:").diagnostics.is_empty());
        for written in ["typing: 0", "typing: 5000", "typing: fast", "typing: [40]"] {
            let p = with(written);
            assert_eq!(p.front_matter.typing, None, "{written}");
            let [d] = p.diagnostics.as_slice() else {
                panic!(
                    "{written}: one diagnostic expected, got {:?}",
                    p.diagnostics
                );
            };
            assert_eq!((d.severity, d.line), (Severity::Error, 3), "{written}");
            assert!(d.message.contains("`typing`"), "{}", d.message);
            assert!(d.message.contains("\"keys\""), "{}", d.message);
        }
    }

    #[test]
    fn a_key_is_found_on_its_own_line_only() {
        let yaml = "endpoint: x\n\"end\": \"14:30\"\nduration : 5m\n";
        assert_eq!(line_of_key(yaml, "end"), 3);
        assert_eq!(line_of_key(yaml, "duration"), 4);
        assert_eq!(line_of_key(yaml, "title"), 1);
    }

    #[test]
    fn unclosed_front_matter() {
        let p = split("---\ntitle: x\n");
        assert_eq!(p.diagnostics[0].line, 1);
        assert!(p.diagnostics[0].message.contains("never closed"));
    }
}
