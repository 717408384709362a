//! The metric names a PromQL expression reads: a small lexer over the expression, enough to tell
//! metric selectors from functions, keywords, label names (in `{…}`, `by (…)`, `on (…)`),
//! strings, numbers, durations and Grafana's `$variables`. Pure; no evaluation, no validation
//! (a malformed expression yields the names it does contain).

/// Keywords and binary operators spelled as words; never metric names.
const KEYWORDS: &[&str] = &[
    "and",
    "or",
    "unless",
    "bool",
    "offset",
    "by",
    "without",
    "on",
    "ignoring",
    "group_left",
    "group_right",
    "atan2",
    "inf",
    "nan",
    "Inf",
    "NaN",
];

/// Keywords followed by a parenthesised list of label names.
const LABEL_LISTS: &[&str] = &[
    "by",
    "without",
    "on",
    "ignoring",
    "group_left",
    "group_right",
];

fn ident_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_' || c == ':'
}

fn ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == ':'
}

/// Skips a quoted string starting at `i` (the quote); returns the index after it.
fn skip_string(chars: &[char], i: usize) -> usize {
    let q = chars[i];
    let mut j = i + 1;
    while j < chars.len() {
        match chars[j] {
            '\\' if q != '`' => j += 2,
            c if c == q => return j + 1,
            _ => j += 1,
        }
    }
    chars.len()
}

/// The index after the bracket closing the one at `i` (`(`/`[`/`{`), strings skipped.
fn skip_group(chars: &[char], i: usize) -> usize {
    let (open, close) = match chars[i] {
        '(' => ('(', ')'),
        '[' => ('[', ']'),
        _ => ('{', '}'),
    };
    let mut depth = 0usize;
    let mut j = i;
    while j < chars.len() {
        match chars[j] {
            '"' | '\'' | '`' => {
                j = skip_string(chars, j);
                continue;
            }
            c if c == open => depth += 1,
            c if c == close => {
                depth -= 1;
                if depth == 0 {
                    return j + 1;
                }
            }
            _ => {}
        }
        j += 1;
    }
    chars.len()
}

/// `__name__="x"` inside a matcher list `{…}` (the text between the braces).
fn name_matcher(inner: &str) -> Option<String> {
    let at = inner.find("__name__")?;
    let rest = inner[at + "__name__".len()..].trim_start();
    let rest = rest.strip_prefix('=')?;
    if rest.starts_with('~') {
        return None;
    }
    let rest = rest.trim_start();
    let q = rest
        .chars()
        .next()
        .filter(|c| matches!(c, '"' | '\'' | '`'))?;
    let body = &rest[1..];
    body.find(q).map(|end| body[..end].to_string())
}

/// True when `rest` starts with `by` or `without` and then `(`: the word before it is an
/// aggregation written with its modifier first.
fn modifier_follows(rest: &[char]) -> bool {
    ["by", "without"].iter().any(|kw| {
        let n = kw.len();
        rest.len() > n
            && rest[..n].iter().copied().eq(kw.chars())
            && !ident_char(rest[n])
            && rest[n..].iter().find(|c| !c.is_whitespace()) == Some(&'(')
    })
}

/// The metric names `expr` selects, in order of first appearance, each once.
pub fn metric_names(expr: &str) -> Vec<String> {
    let chars: Vec<char> = expr.chars().collect();
    let mut out: Vec<String> = Vec::new();
    let push = |name: String, out: &mut Vec<String>| {
        if !out.contains(&name) {
            out.push(name);
        }
    };
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '"' | '\'' | '`' => i = skip_string(&chars, i),
            '#' => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
            }
            '{' => {
                let end = skip_group(&chars, i);
                let inner: String = chars[i + 1..end.saturating_sub(1).max(i + 1)]
                    .iter()
                    .collect();
                if let Some(n) = name_matcher(&inner) {
                    push(n, &mut out);
                }
                i = end;
            }
            '[' => i = skip_group(&chars, i),
            '$' => {
                // Grafana variables: `$name`, `${name}`, `${name:fmt}`, `[[name]]` (old form).
                i += 1;
                if i < chars.len() && chars[i] == '{' {
                    i = skip_group(&chars, i);
                } else {
                    while i < chars.len() && ident_char(chars[i]) {
                        i += 1;
                    }
                }
            }
            c if c.is_ascii_digit()
                || (c == '.' && chars.get(i + 1).is_some_and(char::is_ascii_digit)) =>
            {
                while i < chars.len()
                    && (chars[i].is_ascii_alphanumeric() || matches!(chars[i], '.' | '_'))
                {
                    i += 1;
                }
            }
            c if ident_start(c) => {
                let start = i;
                while i < chars.len() && ident_char(chars[i]) {
                    i += 1;
                }
                let word: String = chars[start..i].iter().collect();
                let mut j = i;
                while j < chars.len() && chars[j].is_whitespace() {
                    j += 1;
                }
                let next = chars.get(j).copied();
                if LABEL_LISTS.contains(&word.as_str()) {
                    if next == Some('(') {
                        i = skip_group(&chars, j);
                    }
                } else if KEYWORDS.contains(&word.as_str())
                    || next == Some('(')
                    || modifier_follows(&chars[j..])
                {
                    // A keyword, a function, or an aggregation (`sum by (x) (...)`).
                } else {
                    push(word, &mut out);
                }
            }
            _ => i += 1,
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_of_real_dashboard_queries() {
        let cases: &[(&str, &[&str])] = &[
            ("up", &["up"]),
            (
                r#"sum by (stream, group) (rate(redis_stream_messages_total{stream=~"$stream", job="media"}[$__rate_interval]))"#,
                &["redis_stream_messages_total"],
            ),
            (
                "histogram_quantile(0.95, sum(rate(http_request_duration_seconds_bucket[5m])) by (le, service))",
                &["http_request_duration_seconds_bucket"],
            ),
            (
                "a_total / on (instance) group_left(version) build_info offset 1h > bool 0.5",
                &["a_total", "build_info"],
            ),
            (
                r#"label_replace(kube_pod_info{namespace="$namespace"}, "x", "$1", "pod", "(.*)") unless ignoring(x) absent(foo:bar:rate5m)"#,
                &["kube_pod_info", "foo:bar:rate5m"],
            ),
            (
                r#"{__name__="process_cpu_seconds_total", job="a"} + ${x:raw} * 1e3"#,
                &["process_cpu_seconds_total"],
            ),
            (
                r#"count_values("version", build_info) and topk(5, up) or vector(0)"#,
                &["build_info", "up"],
            ),
            ("rate(x[5m:30s]) - x @ start()", &["x"]),
            (
                "max_over_time(deriv(q[1h])[1d:1h]) # a comment with words",
                &["q"],
            ),
        ];
        for (expr, want) in cases {
            assert_eq!(metric_names(expr), *want, "{expr}");
        }
    }

    #[test]
    fn malformed_input_never_panics() {
        for e in [
            "{",
            "sum(",
            "\"unterminated",
            "$",
            "x{a=\"b",
            "[",
            "}",
            "__name__=",
            "${",
        ] {
            let _ = metric_names(e);
        }
        assert_eq!(metric_names("{__name__=~\"a.*\"}"), Vec::<String>::new());
    }
}
