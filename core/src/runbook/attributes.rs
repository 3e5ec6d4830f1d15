//! Code fence info strings: the language and Runme-compatible cell attributes.
//!
//! Accepts `bash {"name": "x", "background": "true"}` (JSON, values as strings or
//! JSON scalars, as Runme writes them) and `sh { name=check interactive=true }`
//! (Runme's HTML-style form). Unknown keys are kept and reported.

use serde_json::{Map, Value};

use super::duration::parse_duration_ms;
use super::model::{CellAttributes, OutputPattern, Typing};

/// The parsed info string of a fence.
#[derive(Debug, Default, PartialEq)]
pub struct Info {
    pub lang: Option<String>,
    pub attributes: CellAttributes,
    /// Problems, each an error message (the caller adds the line).
    pub errors: Vec<String>,
    /// Unknown attribute names, reported as warnings.
    pub unknown: Vec<String>,
}

pub fn parse_info(info: &str) -> Info {
    let info = info.trim();
    let (lang, rest) = match info.find('{') {
        Some(0) => (None, info),
        Some(i) => (Some(info[..i].trim()), info[i..].trim()),
        None => (Some(info), ""),
    };
    let lang = lang
        .and_then(|l| l.split_whitespace().next())
        .filter(|l| !l.is_empty())
        .map(|l| l.to_ascii_lowercase());
    let mut out = Info {
        lang,
        ..Info::default()
    };
    if rest.is_empty() {
        return out;
    }
    match parse_object(rest) {
        Ok(map) => apply(&mut out, map),
        Err(message) => out.errors.push(message),
    }
    out
}

fn parse_object(rest: &str) -> Result<Map<String, Value>, String> {
    if !rest.ends_with('}') {
        return Err(format!("cell attributes `{rest}` are not closed with `}}`"));
    }
    match serde_json::from_str::<Value>(rest) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(format!("cell attributes `{rest}` are not an object")),
        Err(json_error) => parse_html_style(rest)
            .ok_or_else(|| format!("invalid JSON cell attributes `{rest}`: {json_error}")),
    }
}

/// `{ name=check interactive=true title="two words" }`.
fn parse_html_style(rest: &str) -> Option<Map<String, Value>> {
    let inner = rest.strip_prefix('{')?.strip_suffix('}')?.trim();
    let mut map = Map::new();
    let mut chars = inner.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace() || *c == ',') {
            chars.next();
        }
        if chars.peek().is_none() {
            break;
        }
        let key: String = chars
            .by_ref()
            .take_while(|c| *c != '=')
            .collect::<String>()
            .trim()
            .to_string();
        if key.is_empty() || key.contains(char::is_whitespace) || key.contains('"') {
            return None;
        }
        let value = match chars.peek() {
            Some('"') | Some('\'') => {
                let quote = chars.next()?;
                let v: String = chars.by_ref().take_while(|c| *c != quote).collect();
                v
            }
            Some(_) => chars
                .by_ref()
                .take_while(|c| !c.is_whitespace() && *c != ',')
                .collect(),
            None => return None,
        };
        map.insert(key, Value::String(value));
    }
    Some(map)
}

fn apply(out: &mut Info, map: Map<String, Value>) {
    for (key, value) in map {
        if let Err(message) = apply_one(&mut out.attributes, &key, &value) {
            out.errors.push(message);
        } else if !is_known(&key) {
            out.unknown.push(key.clone());
            out.attributes.unknown.insert(key, value);
        }
    }
}

const KNOWN: &[&str] = &[
    "name",
    "id",
    "background",
    "interactive",
    "cwd",
    "excludeFromRunAll",
    "promptEnv",
    "closeTerminalOnSuccess",
    "openTerminalOnError",
    "interpreter",
    "mimeType",
    "terminalRows",
    "tag",
    "category",
    "ignore",
    "terminal",
    "expect",
    "timeout",
    "waitFor",
    "typing",
    "port",
    "redact",
];

fn is_known(key: &str) -> bool {
    KNOWN.contains(&key)
}

fn apply_one(a: &mut CellAttributes, key: &str, v: &Value) -> Result<(), String> {
    match key {
        "name" => a.name = Some(string(key, v)?),
        "id" => a.id = Some(string(key, v)?),
        "background" => a.background = Some(boolean(key, v)?),
        "interactive" => a.interactive = Some(boolean(key, v)?),
        "cwd" => a.cwd = Some(string(key, v)?),
        "excludeFromRunAll" => a.exclude_from_run_all = boolean(key, v)?,
        // Runme's promptEnv is a bool or "yes"/"no"/"auto"; keep its text.
        "promptEnv" => a.prompt_env = Some(string(key, v)?),
        "closeTerminalOnSuccess" => a.close_terminal_on_success = Some(boolean(key, v)?),
        "openTerminalOnError" => a.open_terminal_on_error = Some(boolean(key, v)?),
        "interpreter" => a.interpreter = Some(string(key, v)?),
        "mimeType" => a.mime_type = Some(string(key, v)?),
        "terminalRows" => a.terminal_rows = Some(number(key, v)? as u32),
        "tag" | "category" => a.tags.extend(list(key, v)?),
        "ignore" => a.ignore = boolean(key, v)?,
        "terminal" => {
            let name = string(key, v)?;
            // The same rule as a recording's: a name never stands for a path.
            if let Some(problem) = crate::record::manifest::terminal_name_problem(&name) {
                return Err(format!("attribute `terminal` {problem}"));
            }
            a.terminal = Some(name);
        }
        "expect" => a.expect = Some(pattern(&string(key, v)?)?),
        "timeout" => a.timeout_ms = Some(duration(key, v)?),
        "waitFor" => a.wait_for = Some(string(key, v)?),
        "typing" => a.typing = Some(typing(v).map_err(|e| format!("attribute `typing` {e}"))?),
        "port" => a.port = Some(port(key, v)?),
        "redact" => a.redact = redact(key, v)?,
        _ => {}
    }
    Ok(())
}

fn string(key: &str, v: &Value) -> Result<String, String> {
    match v {
        Value::String(s) => Ok(s.clone()),
        Value::Bool(b) => Ok(b.to_string()),
        Value::Number(n) => Ok(n.to_string()),
        _ => Err(format!("attribute `{key}` should be a string, not {v}")),
    }
}

fn boolean(key: &str, v: &Value) -> Result<bool, String> {
    match v {
        Value::Bool(b) => Ok(*b),
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "yes" | "1" | "on" => Ok(true),
            "false" | "no" | "0" | "off" | "" => Ok(false),
            _ => Err(format!(
                "attribute `{key}` should be true or false, not \"{s}\""
            )),
        },
        Value::Number(n) => Ok(n.as_f64() != Some(0.0)),
        _ => Err(format!(
            "attribute `{key}` should be true or false, not {v}"
        )),
    }
}

fn number(key: &str, v: &Value) -> Result<f64, String> {
    let n = match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok(),
        _ => None,
    };
    n.filter(|n| n.is_finite() && *n >= 0.0)
        .ok_or_else(|| format!("attribute `{key}` should be a non-negative number, not {v}"))
}

/// The fastest typing speed accepted, in characters per second.
pub const MAX_TYPING_CPS: f64 = 1000.0;

/// `40` or `"40"` (characters per second, above 0 and at most 1000) or `"keys"`.
/// The error completes "`typing` ...".
pub fn typing(v: &Value) -> Result<Typing, String> {
    let cps = match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) if s.trim().eq_ignore_ascii_case("keys") => return Ok(Typing::Keys),
        Value::String(s) => s.trim().parse::<f64>().ok(),
        _ => None,
    };
    cps.filter(|c| c.is_finite() && *c > 0.0 && *c <= MAX_TYPING_CPS)
        .map(Typing::Cps)
        .ok_or_else(|| {
            let shown = match v {
                Value::String(s) => format!("\"{s}\""),
                other => other.to_string(),
            };
            format!(
                "should be a speed in characters per second (above 0, at most 1000, like 40) or \"keys\", not {shown}"
            )
        })
}

/// A TCP port: 1 to 65535, as a number or a string.
fn port(key: &str, v: &Value) -> Result<u16, String> {
    let n = match v {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse::<u64>().ok(),
        _ => None,
    };
    n.and_then(|n| u16::try_from(n).ok())
        .filter(|p| *p != 0)
        .ok_or_else(|| format!("attribute `{key}` should be a TCP port (1 to 65535), not {v}"))
}

fn list(key: &str, v: &Value) -> Result<Vec<String>, String> {
    match v {
        Value::Array(items) => items.iter().map(|i| string(key, i)).collect(),
        other => Ok(string(key, other)?
            .split(',')
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect()),
    }
}

fn duration(key: &str, v: &Value) -> Result<u64, String> {
    let ms = match v {
        // A bare number is seconds, as in `"timeout": 30`.
        Value::Number(n) => n
            .as_f64()
            .filter(|s| *s >= 0.0)
            .map(|s| (s * 1000.0) as u64),
        Value::String(s) => parse_duration_ms(s),
        _ => None,
    };
    ms.ok_or_else(|| format!("attribute `{key}` should be a duration like \"30s\", not {v}"))
}

fn redact(key: &str, v: &Value) -> Result<Vec<String>, String> {
    match v {
        // `"redact": true` hides the block's whole output.
        Value::Bool(true) => Ok(vec![".+".to_string()]),
        Value::Bool(false) => Ok(Vec::new()),
        _ => {
            let patterns = list(key, v)?;
            for p in &patterns {
                regex::Regex::new(p).map_err(|e| format!("attribute `{key}`: bad pattern: {e}"))?;
            }
            Ok(patterns)
        }
    }
}

/// `/regex/` is a regular expression; anything else is literal text.
pub fn pattern(text: &str) -> Result<OutputPattern, String> {
    let t = text.trim();
    if t.len() >= 2 && t.starts_with('/') && t.ends_with('/') {
        let re = &t[1..t.len() - 1];
        regex::Regex::new(re).map_err(|e| format!("attribute `expect`: bad regex: {e}"))?;
        return Ok(OutputPattern::Regex(re.to_string()));
    }
    Ok(OutputPattern::Text(text.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_terminal_name_never_stands_for_a_path() {
        for bad in [
            r#"bash {"terminal": "../x"}"#,
            r#"bash {"terminal": "a\\b"}"#,
            r#"bash {"terminal": ""}"#,
        ] {
            let i = parse_info(bad);
            assert!(
                i.errors.iter().any(|e| e.contains("attribute `terminal`")),
                "{bad}: {:?}",
                i.errors
            );
            assert_eq!(i.attributes.terminal, None, "{bad}");
        }
        let ok = parse_info(r#"bash {"terminal": "Node 2"}"#);
        assert_eq!(ok.attributes.terminal.as_deref(), Some("Node 2"));
    }

    #[test]
    fn language_only() {
        let i = parse_info("bash");
        assert_eq!(i.lang.as_deref(), Some("bash"));
        assert!(i.errors.is_empty());
    }

    #[test]
    fn json_attributes_with_string_booleans() {
        let i = parse_info(
            r#"bash {"name": "start-lab", "background": "true", "timeout": "30s", "expect": "/LEADER/"}"#,
        );
        assert_eq!(i.attributes.name.as_deref(), Some("start-lab"));
        assert_eq!(i.attributes.background, Some(true));
        assert_eq!(i.attributes.timeout_ms, Some(30_000));
        assert_eq!(
            i.attributes.expect,
            Some(OutputPattern::Regex("LEADER".into()))
        );
    }

    #[test]
    fn html_style_attributes() {
        let i = parse_info("sh { name=check interactive=true title=\"two words\" }");
        assert_eq!(i.lang.as_deref(), Some("sh"));
        assert_eq!(i.attributes.name.as_deref(), Some("check"));
        assert_eq!(i.attributes.interactive, Some(true));
        assert_eq!(i.unknown, vec!["title"]);
    }

    #[test]
    fn attributes_without_language() {
        let i = parse_info(r#"{"name":"x"}"#);
        assert_eq!(i.lang, None);
        assert_eq!(i.attributes.name.as_deref(), Some("x"));
    }

    #[test]
    fn typing_is_a_speed_or_keys() {
        for (info, typing) in [
            (r#"bash {"typing": 40}"#, Typing::Cps(40.0)),
            (r#"bash {"typing": "12.5"}"#, Typing::Cps(12.5)),
            (r#"bash {"typing": "keys"}"#, Typing::Keys),
            (r#"bash {"typing": "Keys"}"#, Typing::Keys),
            (r#"bash {"typing": 1000}"#, Typing::Cps(1000.0)),
            ("bash { typing=25 }", Typing::Cps(25.0)),
        ] {
            let i = parse_info(info);
            assert!(i.errors.is_empty(), "{info}: {:?}", i.errors);
            assert_eq!(i.attributes.typing, Some(typing), "{info}");
        }
        for info in [
            r#"bash {"typing": 0}"#,
            r#"bash {"typing": -5}"#,
            r#"bash {"typing": 1001}"#,
            r#"bash {"typing": "fast"}"#,
            r#"bash {"typing": true}"#,
            r#"bash {"typing": ""}"#,
        ] {
            let i = parse_info(info);
            assert_eq!(i.attributes.typing, None, "{info}");
            assert_eq!(i.errors.len(), 1, "{info}: {:?}", i.errors);
            assert!(i.errors[0].contains("`typing`"), "{}", i.errors[0]);
            assert!(i.unknown.is_empty(), "{info}");
        }
    }

    #[test]
    fn port_is_a_tcp_port() {
        assert_eq!(
            parse_info(r#"bash {"port": 8080}"#).attributes.port,
            Some(8080)
        );
        assert_eq!(
            parse_info(r#"bash {"port": "5001"}"#).attributes.port,
            Some(5001)
        );
        assert_eq!(parse_info("bash { port=9000 }").attributes.port, Some(9000));
        for info in [
            r#"bash {"port": 0}"#,
            r#"bash {"port": 70000}"#,
            r#"bash {"port": "http"}"#,
            r#"bash {"port": 80.5}"#,
        ] {
            let i = parse_info(info);
            assert_eq!(i.attributes.port, None, "{info}");
            assert_eq!(i.errors.len(), 1, "{info}: {:?}", i.errors);
            assert!(i.errors[0].contains("`port`"), "{}", i.errors[0]);
        }
    }

    #[test]
    fn broken_json_is_an_error() {
        let i = parse_info(r#"bash {"name": "x",}"#);
        assert_eq!(i.errors.len(), 1, "{:?}", i.errors);
        assert!(i.errors[0].contains("invalid JSON"));
        let i = parse_info(r#"bash {"name": "x""#);
        assert!(i.errors[0].contains("not closed"));
    }
}
