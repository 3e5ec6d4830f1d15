//! YAML front matter: Cuedeck's keys (title, shell, cwd, env, services, metrics,
//! redact) and Runme's (shell, cwd, skipPrompts, `runme: {...}`).

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
                }
                _ => parsed
                    .diagnostics
                    .push(error(line, "front matter `env` must be a mapping")),
            },
            "redact" => read_redact(&value, line, fm, &mut parsed.diagnostics),
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
}

/// 1-based file line where `key:` appears in the YAML (which starts on line 2).
fn line_of_key(yaml: &str, key: &str) -> usize {
    yaml.lines()
        .position(|l| l.trim_start_matches(['"', '\'']).starts_with(key))
        .map_or(1, |i| i + 2)
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

    #[test]
    fn unclosed_front_matter() {
        let p = split("---\ntitle: x\n");
        assert_eq!(p.diagnostics[0].line, 1);
        assert!(p.diagnostics[0].message.contains("never closed"));
    }
}
