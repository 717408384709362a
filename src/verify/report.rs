//! Renderers of a verify [`Report`]: text grouped by input, JSON, JUnit XML and GitHub Actions
//! annotations. All are pure functions from the report to a string.
//!
//! Owns output formats only; decides no verdicts and reads no files.

use std::fmt::Write as _;

use crate::json;
use crate::value::Value;

use super::diagnostic::{Diagnostic, Report, Severity};

/// The output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Human text grouped by input, with `file:line:col`, snippet and a summary line.
    Text,
    /// One JSON document.
    Json,
    /// JUnit XML: one test case per input.
    Junit,
    /// GitHub Actions workflow commands (`::error file=…,line=…,col=…::…`).
    Github,
    /// SARIF 2.1.0, for GitHub code scanning and other SARIF viewers.
    Sarif,
}

/// Renders a report in a format.
pub fn render(report: &Report, format: Format) -> String {
    match format {
        Format::Text => text(report),
        Format::Json => json(report),
        Format::Junit => junit(report),
        Format::Github => github(report),
        Format::Sarif => sarif(report),
    }
}

/// The one-line summary: `verify: 3 inputs, 12 objects: 2 errors, 1 warning, 0 notes: failed`.
pub fn summary(report: &Report) -> String {
    let c = report.counts();
    let plural = |n: usize, one: &str| {
        if n == 1 {
            format!("{n} {one}")
        } else {
            format!("{n} {one}s")
        }
    };
    format!(
        "verify: {}, {}: {}, {}, {}: {}",
        plural(c.inputs, "input"),
        plural(c.objects, "object"),
        plural(c.errors, "error"),
        plural(c.warnings, "warning"),
        plural(c.notes, "note"),
        if report.failed() { "failed" } else { "ok" }
    )
}

fn text_diagnostic(out: &mut String, d: &Diagnostic) {
    let _ = writeln!(out, "{}[{}]: {}", d.severity.as_str(), d.code, d.message);
    if let Some(s) = &d.span {
        let _ = writeln!(out, "  --> {}", s.describe());
        match &s.source_line {
            Some(line) if s.line > 0 => {
                let num = s.line.to_string();
                let pad = " ".repeat(num.len());
                let caret = if s.caret > 0 { s.caret } else { s.col };
                let caret_pad = " ".repeat(caret.saturating_sub(1));
                // A control character (NUL, ESC) is shown as one replacement character: nothing
                // reaches the terminal raw, and the caret keeps its column.
                let line: String = line
                    .chars()
                    .map(|c| {
                        if c.is_control() && c != '\t' {
                            '\u{FFFD}'
                        } else {
                            c
                        }
                    })
                    .collect();
                let _ = writeln!(out, " {pad} |");
                let _ = writeln!(out, " {num} | {line}");
                if s.label.is_empty() {
                    let _ = writeln!(out, " {pad} | {caret_pad}^");
                } else {
                    let _ = writeln!(out, " {pad} | {caret_pad}^ {}", s.label);
                }
            }
            _ if !s.label.is_empty() => {
                let _ = writeln!(out, "   = in: {}", s.label);
            }
            _ => {}
        }
    }
    for h in &d.help {
        let _ = writeln!(out, "   = help: {h}");
    }
}

fn text(report: &Report) -> String {
    let mut out = String::new();
    for (i, input) in report.inputs.iter().enumerate() {
        let objects = if input.objects == 1 {
            "1 object".to_string()
        } else {
            format!("{} objects", input.objects)
        };
        let _ = writeln!(
            out,
            "{} ({}, {}): {objects}",
            input.path.display(),
            input.kind.as_str(),
            input.reason
        );
        for d in report.diagnostics.iter().filter(|d| d.input == Some(i)) {
            text_diagnostic(&mut out, d);
        }
    }
    let global: Vec<&Diagnostic> = report
        .diagnostics
        .iter()
        .filter(|d| d.input.is_none())
        .collect();
    if !global.is_empty() {
        let _ = writeln!(out, "repository checks:");
        for d in global {
            text_diagnostic(&mut out, d);
        }
    }
    let _ = writeln!(out, "{}", summary(report));
    out
}

fn json(report: &Report) -> String {
    let c = report.counts();
    let diagnostics: Vec<_> = report
        .diagnostics
        .iter()
        .map(|d| {
            json!({
                "code": d.code,
                "severity": d.severity,
                "message": d.message,
                "file": d.span.as_ref().map(|s| s.file.display().to_string()),
                "line": d.span.as_ref().and_then(|s| (s.line > 0).then_some(s.line)),
                "col": d.span.as_ref().and_then(|s| (s.col > 0).then_some(s.col)),
                "label": d.span.as_ref().map(|s| s.label.clone()).filter(|l| !l.is_empty()),
                "input": d.input.map(|i| report.inputs[i].path.display().to_string()),
                "help": d.help,
            })
        })
        .collect();
    let inputs: Vec<_> = report
        .inputs
        .iter()
        .map(|i| {
            json!({
                "path": i.path.display().to_string(),
                "type": i.kind,
                "reason": i.reason,
                "objects": i.objects,
            })
        })
        .collect();
    let doc = json!({
        "version": 1,
        "ok": !report.failed(),
        "summary": c,
        "inputs": inputs,
        "diagnostics": diagnostics,
    });
    let mut s = serde_json::to_string_pretty(&doc).unwrap_or_default();
    s.push('\n');
    s
}

fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 && c != '\n' && c != '\t' => {}
            c => out.push(c),
        }
    }
    out
}

fn junit_case(out: &mut String, name: &str, classname: &str, file: &str, ds: &[&Diagnostic]) {
    let errors: Vec<&&Diagnostic> = ds
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .collect();
    let _ = write!(
        out,
        "    <testcase name=\"{}\" classname=\"{}\" file=\"{}\"",
        xml_escape(name),
        xml_escape(classname),
        xml_escape(file)
    );
    let others: Vec<&&Diagnostic> = ds
        .iter()
        .filter(|d| d.severity != Severity::Error)
        .collect();
    if errors.is_empty() && others.is_empty() {
        out.push_str("/>\n");
        return;
    }
    out.push_str(">\n");
    if !errors.is_empty() {
        let first = errors[0];
        let body = junit_lines(&errors, file);
        let _ = writeln!(
            out,
            "      <failure type=\"{}\" message=\"{}\">{}</failure>",
            xml_escape(&first.code),
            xml_escape(&format!(
                "{} error(s); first: {}",
                errors.len(),
                first.message
            )),
            xml_escape(&body.join("\n"))
        );
    }
    if !others.is_empty() {
        let body = junit_lines(&others, file);
        let _ = writeln!(
            out,
            "      <system-out>{}</system-out>",
            xml_escape(&body.join("\n"))
        );
    }
    out.push_str("    </testcase>\n");
}

fn junit(report: &Report) -> String {
    let c = report.counts();
    let global: Vec<&Diagnostic> = report
        .diagnostics
        .iter()
        .filter(|d| d.input.is_none())
        .collect();
    let cases = report.inputs.len() + usize::from(!global.is_empty());
    let failures = report
        .inputs
        .iter()
        .enumerate()
        .filter(|(i, _)| {
            report
                .diagnostics
                .iter()
                .any(|d| d.input == Some(*i) && d.severity == Severity::Error)
        })
        .count()
        + usize::from(global.iter().any(|d| d.severity == Severity::Error));
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"rollout verify\" tests=\"{cases}\" failures=\"{failures}\" errors=\"0\">"
    );
    let _ = writeln!(
        out,
        "  <testsuite name=\"rollout verify\" tests=\"{cases}\" failures=\"{failures}\" errors=\"0\" skipped=\"0\">"
    );
    for (i, input) in report.inputs.iter().enumerate() {
        let ds: Vec<&Diagnostic> = report
            .diagnostics
            .iter()
            .filter(|d| d.input == Some(i))
            .collect();
        let file = input.path.display().to_string();
        junit_case(
            &mut out,
            &file,
            &format!("verify.{}", input.kind.as_str()),
            &file,
            &ds,
        );
    }
    if !global.is_empty() {
        let spec = report
            .spec_file
            .as_ref()
            .map_or_else(|| "rollout.yaml".to_string(), |p| p.display().to_string());
        junit_case(
            &mut out,
            "repository checks",
            "verify.repository",
            &spec,
            &global,
        );
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    let _ = c;
    out
}

/// Escapes workflow-command data (`%`, CR, LF).
fn gh_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes workflow-command property values (data escapes plus `:` and `,`).
fn gh_prop(s: &str) -> String {
    gh_data(s).replace(':', "%3A").replace(',', "%2C")
}

fn github(report: &Report) -> String {
    let mut out = String::new();
    for d in &report.diagnostics {
        let level = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "notice",
        };
        let mut props = Vec::new();
        if let Some(s) = &d.span {
            props.push(format!("file={}", gh_prop(&s.file.display().to_string())));
            if s.line > 0 {
                props.push(format!("line={}", s.line));
                props.push(format!("col={}", s.col));
            }
        }
        props.push(format!("title={}", gh_prop(&d.code)));
        let mut msg = d.message.clone();
        if let Some(s) = &d.span
            && !s.label.is_empty()
        {
            msg.push_str(&format!(" ({})", s.label));
        }
        for h in &d.help {
            msg.push_str(&format!("\nhelp: {h}"));
        }
        let _ = writeln!(out, "::{level} {}::{}", props.join(","), gh_data(&msg));
    }
    let _ = writeln!(out, "{}", summary(report));
    out
}

/// One `file:line:col: severity[code]: message` line per diagnostic, for a JUnit test case body.
/// One line per diagnostic, at its place, or at `file` (the input, or the spec for repository
/// checks) when it has none.
fn junit_lines(diagnostics: &[&&Diagnostic], file: &str) -> Vec<String> {
    diagnostics
        .iter()
        .map(|d| {
            let at = d
                .span
                .as_ref()
                .map(|s| s.describe())
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| file.to_string());
            format!("{at}: {}[{}]: {}", d.severity.as_str(), d.code, d.message)
        })
        .collect()
}

/// A path as a SARIF artifact URI: relative, `/`-separated, each segment percent-encoded where
/// a URI needs it (GitHub resolves relative URIs against the checkout).
fn sarif_uri(path: &std::path::Path) -> String {
    let text = path.display().to_string();
    let text = text.strip_prefix("./").unwrap_or(&text);
    let mut out = String::new();
    for b in text.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// SARIF 2.1.0: one run of `rollout`, one rule per code, one result per diagnostic. Findings
/// without a file of their own (repository checks) point at the spec, so that code scanning,
/// which needs a location, shows them.
fn sarif(report: &Report) -> String {
    let mut rules: Vec<&str> = report.diagnostics.iter().map(|d| d.code.as_str()).collect();
    rules.sort_unstable();
    rules.dedup();
    let rule_index = |code: &str| rules.iter().position(|r| *r == code).unwrap_or(0);
    let results: Vec<Value> = report
        .diagnostics
        .iter()
        .map(|d| {
            let level = match d.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
                Severity::Note => "note",
            };
            let (file, line, col) = match &d.span {
                Some(s) if s.file.is_absolute() => {
                    let cwd = std::env::current_dir().unwrap_or_default();
                    let rel = s.file.strip_prefix(&cwd).map(std::path::Path::to_path_buf);
                    (rel.unwrap_or_else(|_| s.file.clone()), s.line.max(1), s.col.max(1))
                }
                Some(s) if !s.file.as_os_str().is_empty() => {
                    (s.file.clone(), s.line.max(1), s.col.max(1))
                }
                _ => (std::path::PathBuf::from("rollout.yaml"), 1, 1),
            };
            let mut text = d.message.clone();
            for h in &d.help {
                text.push_str(&format!(" (help: {h})"));
            }
            json!({
                "ruleId": d.code,
                "ruleIndex": rule_index(&d.code),
                "level": level,
                "message": {"text": text},
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": if file.is_absolute() {
                            json!({"uri": format!("file://{}", sarif_uri(&file))})
                        } else {
                            json!({"uri": sarif_uri(&file), "uriBaseId": "%SRCROOT%"})
                        },
                        "region": {"startLine": line, "startColumn": col},
                    },
                    "message": d.span.as_ref().filter(|s| !s.label.is_empty()).map(|s| json!({"text": s.label})),
                }],
            })
        })
        .map(|mut v| {
            // No `message: null` on locations without a label.
            if let Some(loc) = v.pointer_mut("/locations/0").and_then(Value::as_object_mut)
                && loc.get("message").is_some_and(Value::is_null)
            {
                loc.remove("message");
            }
            v
        })
        .collect();
    let rules: Vec<Value> = rules
        .iter()
        .map(|r| json!({"id": r, "name": r, "shortDescription": {"text": r.replace('-', " ")}}))
        .collect();
    let mut doc = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "rollout",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": "https://github.com/sploot/rollout",
                "rules": rules,
            }},
            "results": results,
        }],
    });
    // SARIF wants the base an absolute URI (with a trailing slash): the directory the paths are
    // relative to. Without one, the consumer (code scanning) takes its checkout.
    if let Ok(dir) = std::env::current_dir()
        && dir.is_absolute()
    {
        let mut uri = format!("file://{}", sarif_uri(&dir));
        if !uri.ends_with('/') {
            uri.push('/');
        }
        doc["runs"][0]["originalUriBaseIds"] = json!({"%SRCROOT%": {"uri": uri}});
    }
    let mut s = serde_json::to_string_pretty(&doc).unwrap_or_default();
    s.push('\n');
    s
}
