//! The Prometheus text exposition format (0.0.4), and the OpenMetrics text it grew
//! into, read line by line against the spec
//! (<https://prometheus.io/docs/instrumenting/exposition_formats/>).
//!
//! Written here rather than taken from a crate: the crates that parse this format
//! (`prometheus-parse`, `openmetrics-parser`) are unmaintained or reject a whole body
//! for one bad line, and a demo's chart must keep drawing the good series when one
//! line is malformed. A bad line is skipped and reported with its number; nothing
//! here panics on any input (a proptest checks that).

use std::collections::HashMap;

/// One sample line: `name{labels} value [timestamp]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub name: String,
    pub labels: Labels,
    pub value: f64,
    pub line: usize,
}

impl Sample {
    pub fn label(&self, name: &str) -> Option<&str> {
        self.labels
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// What `# TYPE` says a family is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Counter,
    Gauge,
    Histogram,
    Summary,
    Untyped,
}

/// A parsed body: its samples in order, the declared types, and the lines skipped.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Exposition {
    pub samples: Vec<Sample>,
    pub kinds: HashMap<String, Kind>,
    /// (1-based line, why it was skipped).
    pub problems: Vec<(usize, String)>,
}

impl Exposition {
    /// The declared kind of the family `name` belongs to (`x_bucket` -> `x`).
    pub fn kind_of(&self, name: &str) -> Kind {
        if let Some(k) = self.kinds.get(name) {
            return *k;
        }
        for suffix in ["_bucket", "_sum", "_count", "_total", "_created"] {
            if let Some(family) = name.strip_suffix(suffix) {
                if let Some(k) = self.kinds.get(family) {
                    return *k;
                }
            }
        }
        Kind::Untyped
    }
}

/// Reads a whole body; never fails, never panics.
pub fn parse(text: &str) -> Exposition {
    let mut out = Exposition::default();
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            continue;
        }
        if let Some(comment) = trimmed.strip_prefix('#') {
            if comment.trim() == "EOF" {
                break;
            }
            if let Err(why) = read_comment(comment, &mut out.kinds) {
                out.problems.push((line, why));
            }
            continue;
        }
        match read_sample(trimmed) {
            Ok((name, labels, value)) => out.samples.push(Sample {
                name,
                labels,
                value,
                line,
            }),
            Err(why) => out.problems.push((line, why)),
        }
    }
    out
}

/// `# TYPE name kind` is kept; `# HELP` and other comments are fine as they are.
fn read_comment(comment: &str, kinds: &mut HashMap<String, Kind>) -> Result<(), String> {
    let mut words = comment.split_whitespace();
    if words.next() != Some("TYPE") {
        return Ok(());
    }
    let (Some(name), Some(kind)) = (words.next(), words.next()) else {
        return Err("`# TYPE` needs a metric name and a type".into());
    };
    let kind = match kind {
        "counter" => Kind::Counter,
        "gauge" => Kind::Gauge,
        "histogram" | "gaugehistogram" => Kind::Histogram,
        "summary" => Kind::Summary,
        "untyped" | "unknown" | "info" | "stateset" => Kind::Untyped,
        other => return Err(format!("unknown metric type `{other}`")),
    };
    kinds.insert(name.to_string(), kind);
    Ok(())
}

/// Label pairs in the order written.
pub type Labels = Vec<(String, String)>;

type Parsed = (String, Labels, f64);

fn read_sample(line: &str) -> Result<Parsed, String> {
    let name_end = line
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
        .unwrap_or(line.len());
    let name = &line[..name_end];
    if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
        return Err(format!("`{}` is not a metric name", first_word(line)));
    }
    let mut rest = line[name_end..].trim_start();
    let mut labels = Vec::new();
    if let Some(inner) = rest.strip_prefix('{') {
        let (parsed, after) = read_labels(inner)?;
        labels = parsed;
        rest = after.trim_start();
    }
    // OpenMetrics exemplars follow ` # `; they are not part of the value.
    let rest = rest.split(" # ").next().unwrap_or(rest);
    let mut fields = rest.split_whitespace();
    let value = fields
        .next()
        .ok_or_else(|| format!("`{name}` has no value"))?;
    let value =
        read_value(value).ok_or_else(|| format!("`{value}` is not a number (in `{name}`)"))?;
    if let Some(ts) = fields.next() {
        ts.parse::<f64>()
            .map_err(|_| format!("`{ts}` is not a timestamp (in `{name}`)"))?;
    }
    if let Some(extra) = fields.next() {
        return Err(format!("unexpected `{extra}` after the value of `{name}`"));
    }
    Ok((name.to_string(), labels, value))
}

fn first_word(line: &str) -> &str {
    line.split_whitespace().next().unwrap_or(line)
}

fn read_value(text: &str) -> Option<f64> {
    match text {
        "NaN" => Some(f64::NAN),
        "+Inf" | "Inf" => Some(f64::INFINITY),
        "-Inf" => Some(f64::NEG_INFINITY),
        _ => text.parse().ok(),
    }
}

/// Reads `a="1",b="x\"y"}` (after the `{`); returns the labels and what follows `}`.
pub(super) fn read_labels(mut rest: &str) -> Result<(Labels, &str), String> {
    let mut labels = Vec::new();
    loop {
        rest = rest.trim_start();
        if let Some(after) = rest.strip_prefix('}') {
            return Ok((labels, after));
        }
        let eq = rest
            .find('=')
            .ok_or_else(|| "label without `=` (or `{` never closed)".to_string())?;
        let key = rest[..eq].trim();
        if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(format!("`{key}` is not a label name"));
        }
        let after_eq = rest[eq + 1..].trim_start();
        let quoted = after_eq
            .strip_prefix('"')
            .ok_or_else(|| format!("the value of label `{key}` must be quoted"))?;
        let (value, after) =
            read_quoted(quoted).ok_or_else(|| format!("label `{key}`: {}", BAD_QUOTED))?;
        labels.push((key.to_string(), value));
        rest = after.trim_start();
        if let Some(after_comma) = rest.strip_prefix(',') {
            rest = after_comma;
        } else if !rest.starts_with('}') {
            return Err("labels must be separated by `,` and closed with `}`".into());
        }
    }
}

const BAD_QUOTED: &str = "unclosed quote or bad escape (only \\\\, \\\" and \\n are allowed)";

/// A label value up to its closing quote, with `\\`, `\"` and `\n` unescaped.
fn read_quoted(text: &str) -> Option<(String, &str)> {
    let mut value = String::new();
    let mut chars = text.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Some((value, &text[i + 1..])),
            '\\' => match chars.next()?.1 {
                '\\' => value.push('\\'),
                '"' => value.push('"'),
                'n' => value.push('\n'),
                _ => return None,
            },
            c => value.push(c),
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_labels_with_escapes() {
        let e = parse("x{path=\"C:\\\\dir\",msg=\"say \\\"hi\\\"\\n\",} 1.5 1700000000000\n");
        assert!(e.problems.is_empty(), "{:?}", e.problems);
        let s = &e.samples[0];
        assert_eq!(s.label("path"), Some("C:\\dir"));
        assert_eq!(s.label("msg"), Some("say \"hi\"\n"));
        assert_eq!(s.value, 1.5);
    }

    #[test]
    fn special_values() {
        let e = parse("a NaN\nb +Inf\nc -Inf\nd 1e3\n");
        assert!(e.samples[0].value.is_nan());
        assert_eq!(e.samples[1].value, f64::INFINITY);
        assert_eq!(e.samples[2].value, f64::NEG_INFINITY);
        assert_eq!(e.samples[3].value, 1000.0);
    }

    #[test]
    fn bad_lines_are_skipped_with_their_number() {
        let e = parse(
            "good 1\nmissing_value\nx{a=\"1\" 2\ny{a=\"\\q\"} 3\n9bad 4\nz 5 6 7\nalso_good 2\n",
        );
        let lines: Vec<usize> = e.problems.iter().map(|(l, _)| *l).collect();
        assert_eq!(lines, vec![2, 3, 4, 5, 6]);
        assert_eq!(e.samples.len(), 2);
        assert_eq!(e.samples[1].name, "also_good");
    }
}
