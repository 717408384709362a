//! `configMapGenerator` / `secretGenerator`: build ConfigMaps and Secrets from files, env files
//! and literals, and compute kustomize's content-hash name suffix.
//!
//! Owns key/value parsing and the hash. Reads files only through the closure the loader passes.

use std::collections::BTreeMap;

use crate::value::{Map, Value};
use base64::Engine;
use sha2::{Digest, Sha256};

use super::KustomizeError;
use super::kustomization::{GeneratorEntry, GeneratorOptions};
use super::resmap::Behavior;

/// A generated resource before it joins the list.
#[derive(Debug, Clone)]
pub struct Generated {
    /// The ConfigMap or Secret.
    pub value: Value,
    /// Whether it gets a hash suffix.
    pub needs_hash: bool,
    /// How it combines with an existing one.
    pub behavior: Behavior,
}

/// Reads a file relative to the kustomization (returns its bytes).
pub type ReadFn<'a> = dyn Fn(&str) -> Result<Vec<u8>, KustomizeError> + 'a;

fn strip_quotes(v: &str) -> &str {
    if v.len() >= 2
        && ((v.starts_with('"') && v.ends_with('"')) || (v.starts_with('\'') && v.ends_with('\'')))
    {
        &v[1..v.len() - 1]
    } else {
        v
    }
}

fn basename(p: &str) -> &str {
    p.rsplit('/').next().unwrap_or(p)
}

/// Parses an env file as kustomize does (`KEY=value` lines, `#` comments, blank lines skipped).
fn env_pairs(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    for raw in text.split('\n') {
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        // A line without `=` is a key with an empty value (kustomize 5.8).
        let (k, v) = trimmed.split_once('=').unwrap_or((trimmed, ""));
        out.push((k.to_string(), v.to_string()));
    }
    out
}

/// Builds one generator entry.
///
/// # Errors
/// A missing file, a duplicate key, a malformed literal, a bad behavior.
pub fn generate(
    entry: &GeneratorEntry,
    secret: bool,
    global: &GeneratorOptions,
    at: &str,
    read: &ReadFn,
) -> Result<Generated, KustomizeError> {
    if entry.name.is_empty() {
        return Err(KustomizeError::invalid(at, "a generator needs a `name`"));
    }
    // kustomize takes any other word (`add`, a typo) as create.
    let behavior = match entry.behavior.as_deref().unwrap_or("create") {
        "merge" => Behavior::Merge,
        "replace" => Behavior::Replace,
        _ => Behavior::Create,
    };
    let mut pairs: Vec<(String, Vec<u8>)> = Vec::new();
    let mut envs = entry.envs.clone();
    if let Some(e) = &entry.env {
        envs.push(e.clone());
    }
    for env in &envs {
        let bytes = read(env)?;
        let text = String::from_utf8_lossy(&bytes);
        for (k, v) in env_pairs(&text) {
            pairs.push((k, v.into_bytes()));
        }
    }
    for (i, lit) in entry.literals.iter().enumerate() {
        let (k, v) = lit.split_once('=').ok_or_else(|| {
            // A Secret's literal is never shown, whatever is wrong with it.
            let shown = if secret {
                format!("#{} (value not shown)", i + 1)
            } else {
                format!("{lit:?}")
            };
            KustomizeError::invalid(at, format!("invalid literal {shown}: expected key=value"))
        })?;
        pairs.push((k.to_string(), strip_quotes(v).as_bytes().to_vec()));
    }
    for f in &entry.files {
        let (k, path) = match f.split_once('=') {
            Some((k, p)) => (k.to_string(), p),
            None => (basename(f).to_string(), f.as_str()),
        };
        pairs.push((k, read(path)?));
    }
    let mut data = Map::new();
    let mut binary = Map::new();
    for (k, v) in pairs {
        if data.contains_key(&k) || binary.contains_key(&k) {
            return Err(KustomizeError::invalid(
                at,
                format!("configmap/secret {} has duplicate key {k:?}", entry.name),
            ));
        }
        if secret {
            data.insert(k, Value::String(encode_base64(&v)));
        } else {
            match String::from_utf8(v) {
                Ok(s) => {
                    data.insert(k, Value::String(s));
                }
                Err(e) => {
                    binary.insert(k, Value::String(encode_base64(e.as_bytes())));
                }
            }
        }
    }
    let local = entry.options.clone().unwrap_or_default();
    let mut labels = global.labels.clone();
    labels.extend(local.labels.clone());
    let mut annotations = global.annotations.clone();
    annotations.extend(local.annotations.clone());
    let disable = local
        .disable_name_suffix_hash
        .or(global.disable_name_suffix_hash)
        .unwrap_or(false);
    let immutable = local.immutable.or(global.immutable).unwrap_or(false);

    let mut meta = Map::new();
    meta.insert("name".into(), Value::String(entry.name.clone()));
    if let Some(ns) = entry.namespace.as_deref().filter(|s| !s.is_empty()) {
        meta.insert("namespace".into(), Value::String(ns.to_string()));
    }
    if !labels.is_empty() {
        meta.insert("labels".into(), string_map(&labels));
    }
    if !annotations.is_empty() {
        meta.insert("annotations".into(), string_map(&annotations));
    }
    let mut v = Map::new();
    v.insert("apiVersion".into(), Value::String("v1".into()));
    v.insert(
        "kind".into(),
        Value::String(if secret { "Secret" } else { "ConfigMap" }.into()),
    );
    v.insert("metadata".into(), Value::Object(meta));
    // A Secret always has `data` (kustomize writes `data: {}` for an empty one); a ConfigMap
    // only when it has entries.
    if secret || !data.is_empty() {
        v.insert("data".into(), Value::Object(data));
    }
    if !binary.is_empty() {
        v.insert("binaryData".into(), Value::Object(binary));
    }
    if immutable {
        v.insert("immutable".into(), Value::Bool(true));
    }
    if secret {
        let t = entry.kind.clone().unwrap_or_else(|| "Opaque".into());
        v.insert("type".into(), Value::String(t));
    }
    Ok(Generated {
        value: Value::Object(v),
        needs_hash: !disable,
        behavior,
    })
}

/// Base64 as kustomize writes generated Secret data and ConfigMap binaryData: one line when the
/// encoding is shorter than 70 characters, otherwise 70-character lines each ending in a newline
/// (the text, and so the name hash, include those newlines).
pub fn encode_base64(bytes: &[u8]) -> String {
    const LINE: usize = 70;
    let enc = base64::engine::general_purpose::STANDARD.encode(bytes);
    if enc.len() < LINE {
        return enc;
    }
    let mut out = String::with_capacity(enc.len() + enc.len() / LINE + 1);
    for chunk in enc.as_bytes().chunks(LINE) {
        out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        out.push('\n');
    }
    out
}

fn string_map(m: &BTreeMap<String, String>) -> Value {
    Value::Object(
        m.iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect(),
    )
}

/// Writes a JSON string the way Go's `encoding/json` does (HTML-safe escapes, non-ASCII raw).
fn go_json_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// A value as Go's `json.Marshal` writes it (keys sorted, HTML-safe escapes), or with
/// `pretty` as `json.MarshalIndent(v, "", "  ")` does.
pub(crate) fn go_json_text(v: &Value, pretty: bool) -> String {
    let mut out = String::new();
    if pretty {
        go_json_pretty(&mut out, v, 0);
    } else {
        go_json(&mut out, v);
    }
    out
}

fn go_json_pretty(out: &mut String, v: &Value, depth: usize) {
    let pad = |out: &mut String, d: usize| {
        out.push('\n');
        out.push_str(&"  ".repeat(d));
    };
    match v {
        Value::Object(m) if !m.is_empty() => {
            out.push('{');
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                pad(out, depth + 1);
                go_json_string(out, k);
                out.push_str(": ");
                go_json_pretty(out, &m[k], depth + 1);
            }
            pad(out, depth);
            out.push('}');
        }
        Value::Array(a) if !a.is_empty() => {
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                pad(out, depth + 1);
                go_json_pretty(out, x, depth + 1);
            }
            pad(out, depth);
            out.push(']');
        }
        other => go_json(out, other),
    }
}

fn go_json(out: &mut String, v: &Value) {
    match v {
        Value::Object(m) => {
            out.push('{');
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                go_json_string(out, k);
                out.push(':');
                go_json(out, &m[k]);
            }
            out.push('}');
        }
        Value::Array(a) => {
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                go_json(out, x);
            }
            out.push(']');
        }
        Value::String(s) => go_json_string(out, s),
        other => out.push_str(&other.to_string()),
    }
}

/// kustomize's hash of a ConfigMap or Secret: sha256 over a canonical JSON of its content,
/// first 10 hex characters, with `0 1 3 a e` mapped to `g h k m t`.
pub fn hash(v: &Value) -> String {
    let kind = v.get("kind").and_then(Value::as_str).unwrap_or("");
    let mut m = Map::new();
    m.insert("kind".into(), Value::String(kind.to_string()));
    m.insert("name".into(), Value::String(String::new()));
    m.insert(
        "data".into(),
        v.get("data")
            .cloned()
            .unwrap_or(Value::String(String::new())),
    );
    if let Some(b) = v
        .get("binaryData")
        .filter(|b| b.as_object().is_some_and(|o| !o.is_empty()))
    {
        m.insert("binaryData".into(), b.clone());
    }
    if kind == "Secret" {
        m.insert(
            "type".into(),
            v.get("type")
                .cloned()
                .unwrap_or(Value::String(String::new())),
        );
    }
    let mut text = String::new();
    go_json(&mut text, &Value::Object(m));
    let digest = Sha256::digest(text.as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    hex.chars()
        .take(10)
        .map(|c| match c {
            '0' => 'g',
            '1' => 'h',
            '3' => 'k',
            'a' => 'm',
            'e' => 't',
            c => c,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::parse_document;

    fn no_files(_: &str) -> Result<Vec<u8>, KustomizeError> {
        Err(KustomizeError::invalid("t", "no files"))
    }

    #[test]
    fn hash_matches_kustomize() {
        // kdoc-generatorOptions/kdoc-configGeneration outputs from kubectl kustomize.
        let cm = parse_document(
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata:\n  altGreeting: Have a pineapple!\n  enableRisky: \"true\"\n",
        )
        .unwrap()
        .value;
        assert_eq!(hash(&cm), "5276h4th55");
    }

    #[test]
    fn literals_and_options() {
        let e = GeneratorEntry {
            name: "m".into(),
            literals: vec!["a=\"false\"".into(), "b=x=y".into()],
            ..Default::default()
        };
        let g = generate(&e, false, &GeneratorOptions::default(), "k", &no_files).unwrap();
        assert_eq!(g.value["data"]["a"], "false");
        assert_eq!(g.value["data"]["b"], "x=y");
        assert!(g.needs_hash);
        let dup = GeneratorEntry {
            name: "m".into(),
            literals: vec!["a=1".into(), "a=2".into()],
            ..Default::default()
        };
        assert!(generate(&dup, false, &GeneratorOptions::default(), "k", &no_files).is_err());
    }

    #[test]
    fn env_files() {
        let pairs = env_pairs("# c\n\nA=1\n  B = 2\nC=x=y\r\n");
        assert_eq!(
            pairs,
            vec![
                ("A".to_string(), "1".to_string()),
                ("B ".to_string(), " 2".to_string()),
                ("C".to_string(), "x=y".to_string())
            ]
        );
    }
}
