//! `rollout promote FROM TO`: the change to `rollout.yaml` that brings environment TO's images and
//! flag values to FROM's, written into the spec's text so its comments and layout stay.
//!
//! Owns what a promotion changes ([`changes`]) and the text edits that make it ([`edit`]): each
//! edit replaces one scalar in place, inserts a key into a block mapping (creating the mappings
//! on the way), or removes a one-line entry. Pure: text in, text out; the command writes the file
//! and regenerates.

use crate::value::Value;

use crate::spec::Spec;
use crate::yaml;

/// One value TO takes from FROM.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// What changes, for the summary (`api tag`, `flag NEW_CHECKOUT`).
    pub what: String,
    /// TO's value before (`None`: unset).
    pub before: Option<String>,
    /// TO's value after (`None`: unset).
    pub after: Option<String>,
    /// JSON pointer of the spec node to set.
    pub pointer: String,
    /// The text value to set there; `None`: remove the entry.
    pub value: Option<String>,
}

/// A promotion that cannot be made.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PromoteError {
    /// FROM or TO is not an environment of the spec.
    #[error("unknown environment `{env}`; choose from: {}", choices.join(", "))]
    UnknownEnvironment {
        /// What was asked for.
        env: String,
        /// The spec's environments.
        choices: Vec<String>,
    },
    /// FROM and TO are the same.
    #[error("cannot promote `{0}` to itself: name two different environments")]
    Same(String),
    /// The spec's text cannot be edited there without rewriting it.
    #[error(
        "{at}: cannot {what} here without rewriting the spec ({why}); edit rollout.yaml by hand"
    )]
    Uneditable {
        /// `file:line:col`.
        at: String,
        /// The edit.
        what: String,
        /// Why.
        why: String,
    },
}

/// What promoting FROM to TO changes: per service, TO's tag becomes FROM's (as a `tags` override
/// of TO, unless that equals TO's current tag); per flag, TO's value becomes FROM's (removed when
/// FROM has none).
///
/// # Errors
/// Unknown or identical environments.
pub fn changes(spec: &Spec, from: &str, to: &str) -> Result<Vec<Change>, PromoteError> {
    for env in [from, to] {
        if !spec.environments.contains_key(env) {
            return Err(PromoteError::UnknownEnvironment {
                env: env.to_string(),
                choices: spec.environments.keys().cloned().collect(),
            });
        }
    }
    if from == to {
        return Err(PromoteError::Same(from.to_string()));
    }
    let mut out = Vec::new();
    for svc in &spec.services {
        let (want, have) = (spec.tag_in(svc, from), spec.tag_in(svc, to));
        if want != have {
            // Back to the service's own tag: TO's override goes rather than repeating it.
            let overridden = spec.environments[to].tags.contains_key(&svc.name);
            let value = if want == svc.tag && overridden {
                None
            } else {
                want.clone()
            };
            out.push(Change {
                what: format!("{} tag", svc.name),
                before: have,
                after: want,
                pointer: format!("/environments/{to}/tags/{}", svc.name),
                value,
            });
        }
    }
    for (i, f) in spec.flags.iter().enumerate() {
        let (want, have) = (f.values.get(from), f.values.get(to));
        if want != have {
            out.push(Change {
                what: format!("flag {}", f.name),
                before: have.cloned(),
                after: want.cloned(),
                pointer: format!("/flags/{i}/values/{to}"),
                value: want.cloned(),
            });
        }
    }
    Ok(out)
}

/// Applies `changes` to the spec text `text` (shown as `file` in errors), one at a time.
///
/// # Errors
/// [`PromoteError::Uneditable`] where a flow mapping or an unusual layout is in the way.
pub fn edit(text: &str, file: &str, changes: &[Change]) -> Result<String, PromoteError> {
    let mut text = text.to_string();
    for c in changes {
        text = edit_one(&text, file, &c.pointer, c.value.as_deref())?;
    }
    Ok(text)
}

fn uneditable(file: &str, pos: yaml::Pos, what: &str, why: &str) -> PromoteError {
    PromoteError::Uneditable {
        at: format!("{file}:{pos}"),
        what: what.to_string(),
        why: why.to_string(),
    }
}

/// A scalar as YAML text: plain when it reads back as the same string, else double-quoted.
fn scalar_text(value: &str) -> String {
    let plain = yaml::parse_document(&format!("k: {value}\n"))
        .ok()
        .is_some_and(|d| d.value.get("k") == Some(&Value::String(value.to_string())));
    if plain && !value.is_empty() && !value.contains(['#', ':', '"', '\'']) {
        value.to_string()
    } else {
        serde_json::to_string(value).unwrap_or_default()
    }
}

fn lines_of(text: &str) -> Vec<String> {
    text.split_inclusive('\n').map(str::to_string).collect()
}

fn indent_of(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

fn is_content(line: &str) -> bool {
    let t = line.trim();
    !t.is_empty() && !t.starts_with('#')
}

/// Where the scalar that starts at `col` (0-based) of `line` ends.
fn scalar_end(line: &str, col: usize) -> usize {
    let rest = &line[col..];
    let bytes = rest.as_bytes();
    match bytes.first() {
        Some(b'"') => {
            let mut i = 1;
            while i < bytes.len() {
                match bytes[i] {
                    b'\\' => i += 2,
                    b'"' => return col + i + 1,
                    _ => i += 1,
                }
            }
            line.trim_end().len()
        }
        Some(b'\'') => {
            let mut i = 1;
            while i < bytes.len() {
                if bytes[i] == b'\'' {
                    if bytes.get(i + 1) == Some(&b'\'') {
                        i += 2;
                        continue;
                    }
                    return col + i + 1;
                }
                i += 1;
            }
            line.trim_end().len()
        }
        _ => {
            let mut end = rest.len();
            for pat in [" #", ",", "}", "]", "\n", "\r"] {
                if let Some(i) = rest.find(pat) {
                    end = end.min(i);
                }
            }
            col + rest[..end].trim_end().len()
        }
    }
}

fn edit_one(
    text: &str,
    file: &str,
    pointer: &str,
    value: Option<&str>,
) -> Result<String, PromoteError> {
    let doc = yaml::parse_document(text).map_err(|e| PromoteError::Uneditable {
        at: format!("{file}:{}", e.pos()),
        what: "edit".into(),
        why: e.to_string(),
    })?;
    let loc = &doc.locations;
    let mut lines = lines_of(text);
    let exists = doc.value.pointer(pointer).is_some();
    match (exists, value) {
        (true, Some(v)) => {
            let pos = loc.node(pointer).ok_or_else(|| {
                uneditable(
                    file,
                    yaml::Pos { line: 1, col: 1 },
                    "set a value",
                    "no position",
                )
            })?;
            let line = &lines[pos.line - 1];
            let col = pos.col - 1;
            let end = scalar_end(line, col);
            let new = format!("{}{}{}", &line[..col], scalar_text(v), &line[end..]);
            lines[pos.line - 1] = new;
        }
        (true, None) => {
            let key = loc.key(pointer).ok_or_else(|| {
                uneditable(
                    file,
                    yaml::Pos { line: 1, col: 1 },
                    "remove a value",
                    "no position",
                )
            })?;
            let node = loc.node(pointer).unwrap_or(key);
            let line = &lines[key.line - 1];
            let before_key = &line[..key.col - 1];
            if node.line != key.line || !before_key.trim().is_empty() {
                return Err(uneditable(
                    file,
                    key,
                    "remove this entry",
                    "it is not a one-line entry of a block mapping",
                ));
            }
            lines.remove(key.line - 1);
            // The last entry of its mapping: the mapping stays, empty (`key: {}`).
            let parent = &pointer[..pointer.rfind('/').unwrap_or(0)];
            if doc
                .value
                .pointer(parent)
                .and_then(Value::as_object)
                .is_some_and(|m| m.len() == 1)
                && let Some(pk) = loc.key(parent)
            {
                let l = &mut lines[pk.line - 1];
                if let Some(colon) = l[pk.col - 1..].find(':') {
                    l.insert_str(pk.col - 1 + colon + 1, " {}");
                }
            }
        }
        (false, None) => return Ok(text.to_string()),
        (false, Some(v)) => {
            // The deepest existing ancestor, and the keys to create below it.
            let mut parent = pointer.to_string();
            let mut missing = Vec::new();
            while doc.value.pointer(&parent).is_none() {
                let i = parent.rfind('/').unwrap_or(0);
                missing.push(parent[i + 1..].to_string());
                parent.truncate(i);
            }
            missing.reverse();
            let node = loc.node(&parent).ok_or_else(|| {
                uneditable(
                    file,
                    yaml::Pos { line: 1, col: 1 },
                    "add a key",
                    "no position",
                )
            })?;
            let pline = &lines[node.line - 1];
            let first = pline[node.col - 1..].chars().next().unwrap_or(' ');
            if !doc.value.pointer(&parent).is_some_and(Value::is_object) || first == '{' {
                return Err(uneditable(
                    file,
                    node,
                    &format!("add `{}`", missing.join(".")),
                    "the mapping it goes in is written in flow style ({…}) or is not a mapping",
                ));
            }
            let indent = node.col - 1;
            // The mapping runs until the first content line indented less than its keys.
            let mut last = node.line - 1;
            for (i, l) in lines.iter().enumerate().skip(node.line) {
                if is_content(l) {
                    if indent_of(l) < indent {
                        break;
                    }
                    last = i;
                }
            }
            let mut insert = String::new();
            for (depth, key) in missing.iter().enumerate() {
                let pad = " ".repeat(indent + 2 * depth);
                if depth + 1 == missing.len() {
                    insert.push_str(&format!("{pad}{key}: {}\n", scalar_text(v)));
                } else {
                    insert.push_str(&format!("{pad}{key}:\n"));
                }
            }
            if !lines[last].ends_with('\n') {
                lines[last].push('\n');
            }
            lines.insert(last + 1, insert);
        }
    }
    Ok(lines.concat())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    const SPEC: &str = "# shop
apiVersion: rollout/v1alpha1
kind: Rollout
metadata:
  name: shop
base:
  path: base   # the base
environments:
  dev:
    namespace: shop-dev
    cluster: dev
    argocd: {project: p, repoURL: r}
    # release candidates
    tags:
      api: 1.5.0-rc.1
      db: \"16.5\"
  production:
    namespace: shop
    cluster: prod
    argocd:
      project: p
      repoURL: r
# services follow
services:
  - name: api
    image: shop/api
    tag: 1.4.0
  - name: db
    image: postgres
    tag: \"16.4\"
flags:
  - name: NEW_CHECKOUT
    services: [api]
    values:
      dev: \"true\"   # on in dev
      production: \"false\"
  - name: OLD
    services: [api]
    values:
      production: \"1\"
      dev: \"1\"
";

    fn promote(text: &str, from: &str, to: &str) -> (Vec<Change>, String) {
        let spec = crate::spec::parse(text, Path::new("rollout.yaml")).unwrap();
        let c = changes(&spec, from, to).unwrap();
        let out = edit(text, "rollout.yaml", &c).unwrap();
        (c, out)
    }

    #[test]
    fn promotion_brings_tags_and_flags_and_keeps_comments() {
        let (c, out) = promote(SPEC, "dev", "production");
        let what: Vec<(&str, Option<&str>, Option<&str>)> = c
            .iter()
            .map(|c| (c.what.as_str(), c.before.as_deref(), c.after.as_deref()))
            .collect();
        assert_eq!(
            what,
            vec![
                ("api tag", Some("1.4.0"), Some("1.5.0-rc.1")),
                ("db tag", Some("16.4"), Some("16.5")),
                ("flag NEW_CHECKOUT", Some("false"), Some("true")),
            ]
        );
        assert!(
            out.contains("      repoURL: r\n    tags:\n      api: 1.5.0-rc.1\n      db: \"16.5\"\n# services follow\n"),
            "{out}"
        );
        assert!(out.contains("      production: \"true\"\n"), "{out}");
        assert!(
            out.contains("dev: \"true\"   # on in dev") && out.contains("path: base   # the base")
        );
        let again = crate::spec::parse(&out, Path::new("rollout.yaml")).unwrap();
        assert!(
            changes(&again, "dev", "production").unwrap().is_empty(),
            "a promotion is complete"
        );
    }

    #[test]
    fn promotion_back_drops_overrides_and_unsets_flags_the_source_lacks() {
        let text = SPEC.replace("      production: \"1\"\n", "");
        let (_, out) = promote(&text, "production", "dev");
        assert!(
            out.contains("    tags: {}\n  production:"),
            "both overrides go: {out}"
        );
        assert!(out.contains("      dev: \"false\"   # on in dev"), "{out}");
        assert!(
            out.contains("    values: {}\n"),
            "OLD is unset in dev as in production: {out}"
        );
        let again = crate::spec::parse(&out, Path::new("rollout.yaml")).unwrap();
        assert!(changes(&again, "production", "dev").unwrap().is_empty());
    }

    #[test]
    fn bad_requests_and_flow_mappings_are_errors() {
        let spec = crate::spec::parse(SPEC, Path::new("rollout.yaml")).unwrap();
        assert_eq!(
            changes(&spec, "dev", "prod").unwrap_err().to_string(),
            "unknown environment `prod`; choose from: dev, production"
        );
        assert!(changes(&spec, "dev", "dev").is_err());
        let flow = SPEC.replace(
            "    values:\n      dev: \"true\"   # on in dev\n      production: \"false\"\n",
            "    values: {dev: \"true\"}\n",
        );
        let spec = crate::spec::parse(&flow, Path::new("rollout.yaml")).unwrap();
        let c = changes(&spec, "dev", "production").unwrap();
        let e = edit(&flow, "rollout.yaml", &c).unwrap_err().to_string();
        assert!(
            e.starts_with("rollout.yaml:37:13: cannot add `production`"),
            "{e}"
        );
    }

    #[test]
    fn scalars_are_quoted_only_when_needed() {
        assert_eq!(scalar_text("1.5.0-rc.1"), "1.5.0-rc.1");
        assert_eq!(scalar_text("16.5"), "\"16.5\"");
        assert_eq!(scalar_text("true"), "\"true\"");
        assert_eq!(scalar_text("a: b"), "\"a: b\"");
    }
}
