//! `kustomize edit` as Argo CD's repo-server issues it: `set image|namespace|nameprefix|
//! namesuffix|replicas` and `add label|annotation|component|resource`, with kustomize's
//! argument syntax and effect. Edits rewrite only the top-level field they change: other
//! fields, their order and every comment stay as written. Inside the rewritten field, comment
//! lines move above its key, where kustomize's `kustfile` puts them (it keeps each comment line
//! with the field it stands in, and re-marshals the field's value); `add resource|component`
//! append to a block list in place, so its entries and their comments stay untouched.
//!
//! Pure: text in, text out; the caller reads and writes the file.

use crate::value::{Map, Value};

/// One edit.
#[derive(Debug, Clone)]
pub enum Edit {
    /// `edit set image [<name>=]<newName>[:<tag>|@<digest>]...`.
    SetImage(Vec<String>),
    /// `edit set namespace`.
    SetNamespace(String),
    /// `edit set nameprefix`.
    SetNamePrefix(String),
    /// `edit set namesuffix`.
    SetNameSuffix(String),
    /// `edit set replicas <name>=<count>...`.
    SetReplicas(Vec<String>),
    /// `edit add label key:value...` (`--force`, `--without-selector`, `--include-templates`).
    AddLabel {
        /// `key:value` arguments.
        pairs: Vec<String>,
        /// Overwrite existing keys.
        force: bool,
        /// Into `labels:` (selectors untouched) instead of `commonLabels:`.
        without_selector: bool,
        /// With `without_selector`: also pod templates.
        include_templates: bool,
    },
    /// `edit add annotation key:value...` (`--force`).
    AddAnnotation {
        /// `key:value` arguments.
        pairs: Vec<String>,
        /// Overwrite existing keys.
        force: bool,
    },
    /// `edit add component PATH...`.
    AddComponent(Vec<String>),
    /// `edit add resource PATH...`.
    AddResource(Vec<String>),
}

/// Applies `edit` to the text of a kustomization file.
///
/// # Errors
/// A malformed argument or file, or a key that exists without `--force`, in kustomize's words.
pub fn apply(text: &str, edit: &Edit) -> Result<String, String> {
    let doc = if text.trim().is_empty() {
        Value::Object(Map::new())
    } else {
        crate::yaml::parse_document(text)
            .map_err(|e| format!("invalid kustomization: {e}"))?
            .value
    };
    let Value::Object(k) = doc else {
        return Err("the kustomization is not a mapping".into());
    };
    let get = |key: &str| k.get(key).cloned().unwrap_or(Value::Null);
    let (key, value) = match edit {
        Edit::SetNamespace(v) => ("namespace", Value::String(v.clone())),
        Edit::SetNamePrefix(v) => ("namePrefix", Value::String(v.clone())),
        Edit::SetNameSuffix(v) => ("nameSuffix", Value::String(v.clone())),
        Edit::SetImage(args) => ("images", set_images(&get("images"), args)?),
        Edit::SetReplicas(args) => ("replicas", set_replicas(&get("replicas"), args)?),
        Edit::AddAnnotation { pairs, force } => (
            "commonAnnotations",
            add_pairs(get("commonAnnotations"), pairs, *force, "annotation")?,
        ),
        Edit::AddLabel {
            pairs,
            force,
            without_selector: false,
            ..
        } => (
            "commonLabels",
            add_pairs(get("commonLabels"), pairs, *force, "label")?,
        ),
        Edit::AddLabel {
            pairs,
            force,
            include_templates,
            ..
        } => (
            "labels",
            add_labels(&get("labels"), pairs, *force, *include_templates)?,
        ),
        Edit::AddComponent(paths) => {
            return Ok(add_paths(text, "components", &get("components"), paths));
        }
        Edit::AddResource(paths) => {
            return Ok(add_paths(text, "resources", &get("resources"), paths));
        }
    };
    Ok(replace_field(text, key, &value))
}

/// kustomize's `SplitImageName`: name, tag, digest.
fn split_image(s: &str) -> (String, String, String) {
    let (rest, digest) = match s.split_once('@') {
        Some((r, d)) => (r, d.to_string()),
        None => (s, String::new()),
    };
    match rest.rfind(':') {
        Some(i) if !rest[i + 1..].contains('/') => {
            (rest[..i].to_string(), rest[i + 1..].to_string(), digest)
        }
        _ => (rest.to_string(), String::new(), digest),
    }
}

fn set_images(existing: &Value, args: &[String]) -> Result<Value, String> {
    if args.is_empty() {
        return Err("no image specified".into());
    }
    let mut by_name: std::collections::BTreeMap<String, Map> = Default::default();
    for item in existing.as_array().into_iter().flatten() {
        if let Some(m) = item.as_object() {
            let name = m.get("name").and_then(Value::as_str).unwrap_or_default();
            by_name.insert(name.to_string(), m.clone());
        }
    }
    for arg in args {
        let (key, value) = match arg.split_once('=') {
            Some((k, v)) => (Some(k), v),
            None => (None, arg.as_str()),
        };
        let (name, tag, digest) = split_image(value);
        if key.is_none() && name == *arg {
            return Err(format!(
                "invalid format of image {arg:?}: use <image>=<newimage>:<newtag>, <image>:<newtag> or <image>@<digest>"
            ));
        }
        let mut m = Map::new();
        let image_name = key.map_or(name.clone(), str::to_string);
        let old = by_name.get(&image_name).cloned().unwrap_or_default();
        m.insert("name".into(), Value::String(image_name.clone()));
        // `*` keeps the existing value of that part.
        let keep = |part: &str, given: String| -> Option<String> {
            if given == "*" {
                old.get(part).and_then(Value::as_str).map(str::to_string)
            } else {
                Some(given).filter(|g| !g.is_empty())
            }
        };
        if key.is_some()
            && let Some(n) = keep("newName", name)
        {
            m.insert("newName".into(), Value::String(n));
        }
        if let Some(t) = keep("newTag", tag) {
            m.insert("newTag".into(), Value::String(t));
        }
        if let Some(d) = keep("digest", digest) {
            m.insert("digest".into(), Value::String(d));
        }
        by_name.insert(image_name, m);
    }
    Ok(Value::Array(
        by_name.into_values().map(Value::Object).collect(),
    ))
}

fn set_replicas(existing: &Value, args: &[String]) -> Result<Value, String> {
    if args.is_empty() {
        return Err("no replicas specified".into());
    }
    let mut by_name: std::collections::BTreeMap<String, Value> = Default::default();
    for item in existing.as_array().into_iter().flatten() {
        let name = item.get("name").and_then(Value::as_str).unwrap_or_default();
        by_name.insert(name.to_string(), item.clone());
    }
    for arg in args {
        let bad = || {
            format!("invalid format of replica {arg:?}: use the following format: <name>=<count>")
        };
        let (name, count) = arg.split_once('=').ok_or_else(bad)?;
        let count: i64 = count.parse().map_err(|_| bad())?;
        let mut m = Map::new();
        m.insert("name".into(), Value::String(name.to_string()));
        m.insert("count".into(), Value::from(count));
        by_name.insert(name.to_string(), Value::Object(m));
    }
    Ok(Value::Array(by_name.into_values().collect()))
}

fn split_pair(p: &str, kind: &str) -> Result<(String, String), String> {
    match p.split_once(':') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
        _ => Err(format!("invalid {kind} {p:?}: use key:value")),
    }
}

fn add_pairs(existing: Value, pairs: &[String], force: bool, kind: &str) -> Result<Value, String> {
    let mut m = match existing {
        Value::Object(m) => m,
        _ => Map::new(),
    };
    for p in pairs {
        let (k, v) = split_pair(p, kind)?;
        if m.contains_key(&k) && !force {
            return Err(format!(
                "{kind} {k} already in kustomization file. Use --force to override."
            ));
        }
        m.insert(k, Value::String(v));
    }
    Ok(Value::Object(m))
}

fn add_labels(
    existing: &Value,
    pairs: &[String],
    force: bool,
    include_templates: bool,
) -> Result<Value, String> {
    let mut list: Vec<Value> = existing.as_array().cloned().unwrap_or_default();
    let flag = |e: &Value, k: &str| e.get(k).and_then(Value::as_bool).unwrap_or(false);
    let same = |e: &Value| {
        !flag(e, "includeSelectors") && flag(e, "includeTemplates") == include_templates
    };
    for p in pairs {
        let (k, v) = split_pair(p, "label")?;
        let i = match list.iter().position(&same) {
            Some(i) => i,
            None => {
                let mut e = Map::new();
                e.insert("pairs".into(), Value::Object(Map::new()));
                if include_templates {
                    e.insert("includeTemplates".into(), Value::Bool(true));
                }
                list.push(Value::Object(e));
                list.len() - 1
            }
        };
        let Some(Value::Object(entry)) = list.get_mut(i) else {
            continue;
        };
        let pairs = entry
            .entry("pairs")
            .or_insert_with(|| Value::Object(Map::new()));
        if !pairs.is_object() {
            *pairs = Value::Object(Map::new());
        }
        if let Value::Object(pm) = pairs {
            if pm.contains_key(&k) && !force {
                return Err(format!(
                    "label {k} already in kustomization file. Use --force to override."
                ));
            }
            pm.insert(k, Value::String(v));
        }
    }
    Ok(Value::Array(list))
}

/// Appends the `paths` not listed yet to the list field `key`: in place after its last entry when
/// it is a block list (entries and comments untouched), else by rewriting the field.
fn add_paths(text: &str, key: &str, existing: &Value, paths: &[String]) -> String {
    let mut list: Vec<Value> = existing.as_array().cloned().unwrap_or_default();
    let mut added = Vec::new();
    for p in paths {
        if !list.iter().any(|x| x.as_str() == Some(p)) {
            list.push(Value::String(p.clone()));
            added.push(p.clone());
        }
    }
    if added.is_empty() {
        return text.to_string();
    }
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    if let Some((start, end)) = field_lines(&lines, key)
        && lines[start].trim_end().ends_with(':')
        && let Some(last) = (start + 1..end)
            .rev()
            .find(|&i| lines[i].trim_start().starts_with("- "))
    {
        let item = lines[last];
        let indent = &item[..item.len() - item.trim_start().len()];
        let mut out: String = lines[..=last].concat();
        if !out.ends_with('\n') {
            out.push('\n');
        }
        for p in &added {
            let one = crate::yaml::emit(&Value::Array(vec![Value::String(p.clone())]));
            out.push_str(indent);
            out.push_str(&one);
        }
        out.push_str(&lines[last + 1..].concat());
        return out;
    }
    replace_field(text, key, &Value::Array(list))
}

/// The lines of the top-level field `key`: its key line and value lines, `[start, end)`
/// (trailing blank and comment lines belong to what follows).
fn field_lines(lines: &[&str], key: &str) -> Option<(usize, usize)> {
    let start = lines.iter().position(|l| is_key_line(l, key))?;
    let mut end = start + 1;
    while end < lines.len() {
        let l = lines[end];
        let top = !l.starts_with([' ', '\t', '\n', '\r', '#']) && !l.starts_with('-');
        if top {
            break;
        }
        end += 1;
    }
    while end > start + 1 {
        let t = lines[end - 1].trim();
        if t.is_empty() || t.starts_with('#') {
            end -= 1;
        } else {
            break;
        }
    }
    Some((start, end))
}

/// Whether `line` starts the top-level field `key`.
fn is_key_line(line: &str, key: &str) -> bool {
    line.trim_end()
        .strip_prefix(key)
        .is_some_and(|r| r.starts_with(':') && (r.len() == 1 || r[1..].starts_with([' ', '\t'])))
}

/// Replaces the top-level field `key` (its line and indented value lines) with `value`, or
/// appends it; every other line is kept as it was.
fn replace_field(text: &str, key: &str, value: &Value) -> String {
    let mut one = Map::new();
    one.insert(key.to_string(), value.clone());
    let block = crate::yaml::emit(&Value::Object(one));
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let Some((start, end)) = field_lines(&lines, key) else {
        let mut out = text.to_string();
        if !out.is_empty() && !out.ends_with('\n') {
            out.push('\n');
        }
        out.push_str(&block);
        return out;
    };
    let mut out: String = lines[..start].concat();
    // Comment lines among the old value lines go above the key, as kustomize keeps them.
    for l in &lines[start + 1..end] {
        if l.trim_start().starts_with('#') {
            out.push_str(l);
            if !l.ends_with('\n') {
                out.push('\n');
            }
        }
    }
    out.push_str(&block);
    out.push_str(&lines[end..].concat());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const K: &str = "# Managed by the platform team.\nresources:\n  - ../base # the base\nnamePrefix: old-\n\n# Images below.\nimages:\n- name: nginx\n  newTag: \"1.0\"\n# trailing comment\n";

    #[test]
    fn edits_keep_comments_and_order() {
        let cases: Vec<(&str, Edit, &str)> = vec![
            (
                "prefix replaced in place",
                Edit::SetNamePrefix("new-".into()),
                "# Managed by the platform team.\nresources:\n  - ../base # the base\nnamePrefix: new-\n\n# Images below.\nimages:\n- name: nginx\n  newTag: \"1.0\"\n# trailing comment\n",
            ),
            (
                "namespace appended",
                Edit::SetNamespace("prod".into()),
                "# Managed by the platform team.\nresources:\n  - ../base # the base\nnamePrefix: old-\n\n# Images below.\nimages:\n- name: nginx\n  newTag: \"1.0\"\n# trailing comment\nnamespace: prod\n",
            ),
            (
                "image updated and added, sorted by name",
                Edit::SetImage(vec![
                    "nginx=registry/nginx:1.27".into(),
                    "busybox@sha256:abc".into(),
                ]),
                "# Managed by the platform team.\nresources:\n  - ../base # the base\nnamePrefix: old-\n\n# Images below.\nimages:\n- digest: sha256:abc\n  name: busybox\n- name: nginx\n  newName: registry/nginx\n  newTag: \"1.27\"\n# trailing comment\n",
            ),
        ];
        for (name, edit, want) in cases {
            assert_eq!(apply(K, &edit).unwrap(), want, "{name}");
        }
    }

    /// Issue 14: comments inside a rewritten field were dropped.
    #[test]
    fn issue_14_comments_inside_a_rewritten_field_move_above_it_and_list_appends_keep_them() {
        let k = "resources:\n  - ../base # the base\n  # staging only\n  - extra.yaml\nimages:\n# pinned by release\n- name: nginx # web\n  newTag: \"1.0\"\nnamespace: a\n";
        let out = apply(k, &Edit::SetImage(vec!["nginx:1.27".into()])).unwrap();
        assert_eq!(
            out,
            "resources:\n  - ../base # the base\n  # staging only\n  - extra.yaml\n# pinned by release\nimages:\n- name: nginx\n  newTag: \"1.27\"\nnamespace: a\n"
        );
        let out = apply(
            k,
            &Edit::AddResource(vec!["new.yaml".into(), "../base".into(), "a b.yaml".into()]),
        )
        .unwrap();
        assert_eq!(
            out,
            "resources:\n  - ../base # the base\n  # staging only\n  - extra.yaml\n  - new.yaml\n  - a b.yaml\nimages:\n# pinned by release\n- name: nginx # web\n  newTag: \"1.0\"\nnamespace: a\n"
        );
        // Nothing new: the text is unchanged; a flow list is rewritten; no list yet: appended.
        assert_eq!(
            apply(k, &Edit::AddResource(vec!["extra.yaml".into()])).unwrap(),
            k
        );
        assert_eq!(
            apply(
                "resources: [a.yaml] # flow\n",
                &Edit::AddResource(vec!["b.yaml".into()])
            )
            .unwrap(),
            "resources:\n- a.yaml\n- b.yaml\n"
        );
        assert_eq!(
            apply("namespace: a\n", &Edit::AddComponent(vec!["../c".into()])).unwrap(),
            "namespace: a\ncomponents:\n- ../c\n"
        );
    }

    #[test]
    fn image_arguments() {
        assert_eq!(
            split_image("a/b:1@sha256:x"),
            ("a/b".into(), "1".into(), "sha256:x".into())
        );
        assert_eq!(
            split_image("localhost:5000/b"),
            ("localhost:5000/b".into(), "".into(), "".into())
        );
        assert!(apply("", &Edit::SetImage(vec!["nginx".into()])).is_err());
        let out = apply(
            "images:\n- name: a\n  newTag: \"1\"\n  newName: x\n",
            &Edit::SetImage(vec!["a=*:2".into()]),
        )
        .unwrap();
        assert!(
            out.contains("newName: x") && out.contains("newTag: \"2\""),
            "{out}"
        );
    }

    #[test]
    fn labels_and_annotations() {
        let err = apply(
            "commonLabels:\n  a: b\n",
            &Edit::AddLabel {
                pairs: vec!["a:c".into()],
                force: false,
                without_selector: false,
                include_templates: false,
            },
        )
        .unwrap_err();
        assert!(err.contains("already in kustomization file"), "{err}");
        let out = apply(
            "commonLabels:\n  a: b\n",
            &Edit::AddLabel {
                pairs: vec!["a:c".into()],
                force: true,
                without_selector: false,
                include_templates: false,
            },
        )
        .unwrap();
        assert_eq!(out, "commonLabels:\n  a: c\n");
        let out = apply(
            "",
            &Edit::AddLabel {
                pairs: vec!["t:m".into()],
                force: false,
                without_selector: true,
                include_templates: true,
            },
        )
        .unwrap();
        assert_eq!(
            out,
            "labels:\n- includeTemplates: true\n  pairs:\n    t: m\n"
        );
        let out = apply(
            "",
            &Edit::AddAnnotation {
                pairs: vec!["o:me".into()],
                force: false,
            },
        )
        .unwrap();
        assert_eq!(out, "commonAnnotations:\n  o: me\n");
        assert!(apply("", &Edit::SetReplicas(vec!["web".into()])).is_err());
    }
}
