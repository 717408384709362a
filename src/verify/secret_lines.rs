//! Which source lines of a file may show a Secret's values, found from the text alone (so a
//! Secret that does not parse, say with a duplicate key, is covered too), and what a quoted line
//! shows instead.
//!
//! Pure text functions: reads no files, knows nothing of diagnostics.

use std::collections::BTreeSet;

/// The 1-based lines of `text` that hold Secret values: in a YAML document whose top-level `kind`
/// is `Secret`, the lines of its top-level `data` and `stringData` (and the line of those keys
/// when the value is written inline) and any `last-applied-configuration` annotation line (it
/// repeats the data). In a JSON file that holds a Secret, every line.
pub fn secret_value_lines(text: &str, json: bool) -> BTreeSet<usize> {
    let mut out = BTreeSet::new();
    if !text.contains("Secret") {
        return out;
    }
    let lines: Vec<&str> = text.lines().collect();
    if json {
        let secret = regex_lite_kind_secret(text);
        if secret {
            out.extend(1..=lines.len());
        }
        return out;
    }
    let mut start = 0;
    while start < lines.len() {
        let end = (start + 1..lines.len())
            .find(|&i| is_document_marker(lines[i]))
            .unwrap_or(lines.len());
        mark_document(&lines[start..end], start, &mut out);
        start = end;
    }
    out
}

/// A quoted line that may show a Secret value, masked: the indentation and the key stay, the
/// value becomes `***`.
pub fn masked(line: &str) -> String {
    let indent = line.len() - line.trim_start().len();
    let body = &line[indent..];
    let body = body.strip_prefix("- ").unwrap_or(body);
    let dash = if line[indent..].starts_with("- ") {
        "- "
    } else {
        ""
    };
    match body.split_once(": ") {
        Some((key, _)) if !key.contains(['{', '[', '"']) || key.starts_with('"') => {
            format!("{}{dash}{key}: ***", &line[..indent])
        }
        _ => format!("{}***", &line[..indent]),
    }
}

fn is_document_marker(line: &str) -> bool {
    line == "---" || line.starts_with("--- ") || line == "..."
}

/// A top-level key of a YAML line (`data:` or `data: {…}` at column 0), if it is one.
fn top_level_key(line: &str) -> Option<&str> {
    if line.starts_with([' ', '\t', '#', '-']) || line.is_empty() {
        return None;
    }
    let (key, _) = line.split_once(':')?;
    Some(key.trim().trim_matches(['"', '\'']))
}

/// Whether a line below the top level (a `List` item, a nested or flow mapping) names the kind
/// `Secret`: `  kind: Secret`, `- kind: "Secret"`, `{kind: Secret, ...}`.
fn nested_secret(line: &str) -> bool {
    if top_level_key(line).is_some() {
        return false;
    }
    let mut rest = line;
    while let Some(i) = rest.find("kind") {
        let after = rest[i + 4..].trim_start_matches(['"', '\'']).trim_start();
        if let Some(v) = after.strip_prefix(':') {
            let v = v.trim_start().trim_start_matches(['"', '\'']);
            if v.starts_with("Secret")
                && !v[6..].starts_with(|c: char| c.is_alphanumeric() || c == '-' || c == '_')
            {
                return true;
            }
        }
        rest = &rest[i + 4..];
    }
    false
}

fn mark_document(doc: &[&str], first: usize, out: &mut BTreeSet<usize>) {
    // A Secret inside a List (or any nesting) is not read by its layout: every line of the
    // document may show its values.
    if doc.iter().any(|l| nested_secret(l)) {
        out.extend(first + 1..=first + doc.len());
        return;
    }
    let is_secret = doc.iter().any(|l| {
        top_level_key(l) == Some("kind")
            && l.split_once(':').is_some_and(|(_, v)| {
                let v = v.split(" #").next().unwrap_or("").trim();
                v.trim_matches(['"', '\'']) == "Secret"
            })
    });
    if !is_secret {
        return;
    }
    let mut in_values = false;
    for (i, l) in doc.iter().enumerate() {
        let n = first + i + 1;
        if let Some(key) = top_level_key(l) {
            in_values = matches!(key, "data" | "stringData");
            let inline = l
                .split_once(':')
                .map(|(_, v)| v.trim())
                .is_some_and(|v| !v.is_empty() && !v.starts_with('#'));
            if in_values && inline {
                out.insert(n);
            }
            continue;
        }
        if in_values || l.contains("last-applied-configuration") {
            out.insert(n);
        }
    }
}

/// Whether JSON text names the kind `Secret` (`"kind": "Secret"`, any spacing).
fn regex_lite_kind_secret(text: &str) -> bool {
    let mut rest = text;
    while let Some(i) = rest.find("\"kind\"") {
        let after = rest[i + 6..].trim_start();
        if let Some(v) = after.strip_prefix(':')
            && v.trim_start().starts_with("\"Secret\"")
        {
            return true;
        }
        rest = &rest[i + 6..];
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_data_lines_are_found_in_parsed_and_unparsed_documents() {
        let text = "apiVersion: v1\nkind: ConfigMap\ndata:\n  a: plain\n---\n\
            apiVersion: v1\nkind: \"Secret\"  # quoted\nmetadata:\n  name: s\n  annotations:\n    \
            kubectl.kubernetes.io/last-applied-configuration: '{\"data\":{}}'\ndata:\n  \
            password: aHVudGVy\n  password: aHVudGVy\n  cert: |\n    LS0tLS1\nstringData: {token: abc}\ntype: Opaque\n";
        let got: Vec<usize> = secret_value_lines(text, false).into_iter().collect();
        assert_eq!(got, vec![11, 13, 14, 15, 16, 17]);
        assert!(secret_value_lines("kind: ConfigMap\ndata:\n  a: b\n", false).is_empty());
        let json = "{\n  \"kind\" : \"Secret\",\n  \"data\": {\"a\": \"b\"}\n}\n";
        assert_eq!(secret_value_lines(json, true).len(), 4);
        assert!(secret_value_lines("{\"kind\": \"SecretStore\"}", true).is_empty());
    }

    #[test]
    fn masked_lines_keep_the_key_and_hide_the_value() {
        assert_eq!(masked("  password: aHVudGVy"), "  password: ***");
        assert_eq!(masked("    LS0tLS1"), "    ***");
        assert_eq!(masked("stringData: {token: abc}"), "stringData: ***");
        assert_eq!(masked("  - key: abc"), "  - key: ***");
        assert_eq!(masked("  \"a\": \"b\","), "  \"a\": ***");
    }
}
