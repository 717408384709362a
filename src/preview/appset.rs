//! ApplicationSet expansion for `rollout preview`: the list generator and the git directory
//! generator, each parameter set applied to `spec.template` as Argo CD does (fasttemplate
//! `{{param}}`, or Go templates' field access with `goTemplate: true`).
//!
//! Owns generators, directory matching (Go's `path.Match`) and templating. Pure: the caller
//! gives the revision's directories; nothing is read here. Other generators (clusters, matrix,
//! merge, SCM, pull request, plugin) and git file generators are refused with a message, never
//! silently skipped.

use crate::value::{Map, Value};

use super::discover::ThisRepo;

/// The Applications `appset` generates (each one, or why it could not be made).
///
/// # Errors
/// When the ApplicationSet as a whole cannot be expanded (no template, an unsupported
/// generator), with what to do.
pub fn expand(
    appset: &Value,
    dirs: &[String],
    this_repo: &ThisRepo,
) -> Result<Vec<Result<Value, String>>, String> {
    let name = appset
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or("?");
    let spec = appset.get("spec").cloned().unwrap_or(Value::Null);
    let template = spec
        .get("template")
        .filter(|t| t.is_object())
        .ok_or_else(|| format!("ApplicationSet {name} has no spec.template"))?;
    if spec.get("templatePatch").is_some() {
        return Err(format!(
            "ApplicationSet {name}: templatePatch is not supported by preview; its applications are not previewed"
        ));
    }
    let go = spec
        .get("goTemplate")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let generators = spec
        .get("generators")
        .and_then(Value::as_array)
        .ok_or_else(|| format!("ApplicationSet {name} has no spec.generators"))?;
    let mut out = Vec::new();
    for g in generators {
        let params =
            params_of(g, dirs, this_repo, go).map_err(|e| format!("ApplicationSet {name}: {e}"))?;
        for p in params {
            out.push(
                render(template, &p, go)
                    .map(|mut app| {
                        if let Value::Object(m) = &mut app {
                            m.insert("apiVersion".into(), "argoproj.io/v1alpha1".into());
                            m.insert("kind".into(), "Application".into());
                        }
                        app
                    })
                    .map_err(|e| format!("ApplicationSet {name}: {e}")),
            );
        }
    }
    Ok(out)
}

/// The parameter sets of one generator.
fn params_of(
    g: &Value,
    dirs: &[String],
    this_repo: &ThisRepo,
    go: bool,
) -> Result<Vec<Map>, String> {
    let Some(obj) = g.as_object() else {
        return Err("a generator is not a mapping".into());
    };
    let kinds: Vec<&String> = obj.keys().filter(|k| *k != "selector").collect();
    if kinds
        .iter()
        .any(|k| obj.get(*k).and_then(|v| v.get("template")).is_some())
    {
        return Err("a generator-level template is not supported by preview".into());
    }
    match kinds.as_slice() {
        [k] if k.as_str() == "list" => list(&obj["list"], go),
        [k] if k.as_str() == "git" => git(&obj["git"], dirs, this_repo, go),
        [k] => Err(format!(
            "the {k} generator is not supported by preview (list and git directories are); its applications are not previewed"
        )),
        _ => Err("a generator must have exactly one kind".into()),
    }
}

fn list(g: &Value, go: bool) -> Result<Vec<Map>, String> {
    if g.get("elementsYaml").is_some() {
        return Err("list generator elementsYaml is not supported by preview".into());
    }
    let elements = g
        .get("elements")
        .and_then(Value::as_array)
        .ok_or("list generator has no elements")?;
    let mut out = Vec::new();
    for e in elements {
        let Value::Object(m) = e else {
            return Err("a list element is not a mapping".into());
        };
        if go {
            out.push(m.clone());
            continue;
        }
        // fasttemplate parameters are strings; `values` is flattened to `values.KEY`.
        let mut p = Map::new();
        for (k, v) in m {
            match (k.as_str(), v) {
                ("values", Value::Object(vals)) => {
                    for (vk, vv) in vals {
                        p.insert(format!("values.{vk}"), Value::String(scalar(vv)?));
                    }
                }
                _ => {
                    p.insert(k.clone(), Value::String(scalar(v)?));
                }
            }
        }
        out.push(p);
    }
    Ok(out)
}

fn scalar(v: &Value) -> Result<String, String> {
    match v {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        Value::Null => Ok(String::new()),
        _ => Err(
            "a list element value is not a string (use goTemplate: true for structured values)"
                .into(),
        ),
    }
}

fn git(g: &Value, dirs: &[String], this_repo: &ThisRepo, go: bool) -> Result<Vec<Map>, String> {
    let url = g.get("repoURL").and_then(Value::as_str).unwrap_or("");
    if !this_repo.contains(url) {
        return Err(format!(
            "git generator reads {url}, another repository: its applications are not previewed"
        ));
    }
    if g.get("files").is_some() {
        return Err(
            "git file generators are not supported by preview (git directories are)".into(),
        );
    }
    if g.get("values").is_some() {
        return Err("git generator values are not supported by preview".into());
    }
    let items = g
        .get("directories")
        .and_then(Value::as_array)
        .ok_or("git generator has neither directories nor files")?;
    let mut patterns = Vec::new();
    for it in items {
        let p = it
            .get("path")
            .and_then(Value::as_str)
            .ok_or("a git directories entry has no path")?;
        let exclude = it.get("exclude").and_then(Value::as_bool).unwrap_or(false);
        patterns.push((p.to_string(), exclude));
    }
    let prefix = g
        .get("pathParamPrefix")
        .and_then(Value::as_str)
        .unwrap_or("");
    let mut out = Vec::new();
    for d in dirs {
        let mut include = false;
        for (p, exclude) in &patterns {
            if path_match(p, d)? {
                if *exclude {
                    include = false;
                    break;
                }
                include = true;
            }
        }
        if include {
            out.push(dir_params(d, prefix, go));
        }
    }
    Ok(out)
}

/// Argo CD's parameters for one directory (`path`, `path.basename`, `path[0]`, ... or, for Go
/// templates, `.path.path`, `.path.basename`, `.path.segments`).
fn dir_params(d: &str, prefix: &str, go: bool) -> Map {
    let base = d.rsplit('/').next().unwrap_or(d).to_string();
    let normalized = sanitize_name(&base);
    let mut p = Map::new();
    if go {
        let mut path = Map::new();
        path.insert("path".into(), d.into());
        path.insert("basename".into(), base.into());
        path.insert("basenameNormalized".into(), normalized.into());
        path.insert(
            "segments".into(),
            Value::Array(d.split('/').map(|s| Value::String(s.into())).collect()),
        );
        if prefix.is_empty() {
            p.insert("path".into(), Value::Object(path));
        } else {
            let mut outer = Map::new();
            outer.insert("path".into(), Value::Object(path));
            p.insert(prefix.into(), Value::Object(outer));
        }
        return p;
    }
    let name = if prefix.is_empty() {
        "path".to_string()
    } else {
        format!("{prefix}.path")
    };
    p.insert(name.clone(), d.into());
    p.insert(format!("{name}.basename"), base.into());
    p.insert(format!("{name}.basenameNormalized"), normalized.into());
    for (i, seg) in d.split('/').enumerate().filter(|(_, s)| !s.is_empty()) {
        p.insert(format!("{name}[{i}]"), seg.into());
    }
    p
}

/// Argo CD's `SanitizeName`: lowercase, characters outside `[-a-z0-9.]` become `-`, at most
/// 253 characters, no leading or trailing `-` or `.`.
pub fn sanitize_name(name: &str) -> String {
    let s: String = name
        .to_lowercase()
        .chars()
        .map(|c| {
            if c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.' {
                c
            } else {
                '-'
            }
        })
        .take(253)
        .collect();
    s.trim_matches(['-', '.']).to_string()
}

/// Go's `path.Match`: `*` any run of non-`/` characters, `?` one, `[...]` a class (`^` or `!`
/// negates, `a-z` ranges), `\` escapes.
///
/// # Errors
/// A malformed pattern (an unclosed class).
pub fn path_match(pattern: &str, name: &str) -> Result<bool, String> {
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    matches_at(&p, &n).ok_or_else(|| format!("bad directory pattern {pattern:?}"))
}

fn matches_at(p: &[char], n: &[char]) -> Option<bool> {
    let Some((&c, rest)) = p.split_first() else {
        return Some(n.is_empty());
    };
    match c {
        '*' => {
            // Try every split that keeps `/` out of the star's match.
            let mut i = 0;
            loop {
                if matches_at(rest, &n[i..])? {
                    return Some(true);
                }
                if i >= n.len() || n[i] == '/' {
                    // A malformed rest must still be reported.
                    return Some(false);
                }
                i += 1;
            }
        }
        '?' => match n.split_first() {
            Some((&x, nr)) if x != '/' => matches_at(rest, nr),
            _ => Some(false),
        },
        '[' => {
            let (ok, after) = class(rest, n.first().copied())?;
            match n.split_first() {
                Some((&x, nr)) if ok && x != '/' => matches_at(after, nr),
                _ => Some(false),
            }
        }
        '\\' => {
            let (&lit, after) = rest.split_first()?;
            match n.split_first() {
                Some((&x, nr)) if x == lit => matches_at(after, nr),
                _ => Some(false),
            }
        }
        _ => match n.split_first() {
            Some((&x, nr)) if x == c => matches_at(rest, nr),
            _ => Some(false),
        },
    }
}

/// A character class after its `[`: whether `ch` is in it, and the pattern after `]`.
fn class(p: &[char], ch: Option<char>) -> Option<(bool, &[char])> {
    let (neg, mut i) = match p.first() {
        Some('^') | Some('!') => (true, 1),
        _ => (false, 0),
    };
    let mut hit = false;
    let mut first = true;
    loop {
        let c = *p.get(i)?;
        if c == ']' && !first {
            break;
        }
        first = false;
        let lo = if c == '\\' {
            i += 1;
            *p.get(i)?
        } else {
            c
        };
        i += 1;
        let hi = if p.get(i) == Some(&'-') && p.get(i + 1).is_some_and(|c| *c != ']') {
            let mut h = *p.get(i + 1)?;
            i += 2;
            if h == '\\' {
                h = *p.get(i)?;
                i += 1;
            }
            h
        } else {
            lo
        };
        if ch.is_some_and(|x| lo <= x && x <= hi) {
            hit = true;
        }
    }
    Some((hit != neg, &p[i + 1..]))
}

/// The template with every string (keys too) rendered with `params`.
fn render(template: &Value, params: &Map, go: bool) -> Result<Value, String> {
    Ok(match template {
        Value::String(s) => Value::String(if go {
            go_template(s, params)?
        } else {
            fast_template(s, params)
        }),
        Value::Array(a) => Value::Array(
            a.iter()
                .map(|v| render(v, params, go))
                .collect::<Result<_, _>>()?,
        ),
        Value::Object(m) => {
            let mut out = Map::new();
            for (k, v) in m {
                let key = if go {
                    go_template(k, params)?
                } else {
                    fast_template(k, params)
                };
                out.insert(key, render(v, params, go)?);
            }
            Value::Object(out)
        }
        other => other.clone(),
    })
}

/// `{{ name }}` replaced by the string parameter `name`; unknown tags stay as written.
fn fast_template(s: &str, params: &Map) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find("{{") {
        let Some(j) = rest[i + 2..].find("}}") else {
            break;
        };
        let tag = &rest[i + 2..i + 2 + j];
        out.push_str(&rest[..i]);
        match params.get(tag.trim()).and_then(Value::as_str) {
            Some(v) if !tag.trim().is_empty() => out.push_str(v),
            _ => {
                out.push_str("{{");
                out.push_str(tag);
                out.push_str("}}");
            }
        }
        rest = &rest[i + 2 + j + 2..];
    }
    out.push_str(rest);
    out
}

/// The Go-template subset preview evaluates: `{{ .a.b }}`, `{{ index .a.b N }}`,
/// `{{ index .a "key" }}` and `{{ normalize .x }}`; anything else is refused with its text.
fn go_template(s: &str, params: &Map) -> Result<String, String> {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find("{{") {
        let j = rest[i + 2..]
            .find("}}")
            .ok_or_else(|| format!("unclosed template action in {s:?}"))?;
        let raw = &rest[i + 2..i + 2 + j];
        let mut before = &rest[..i];
        let mut action = raw;
        if let Some(a) = action.strip_prefix('-') {
            before = before.trim_end();
            action = a;
        }
        let mut trim_after = false;
        if let Some(a) = action.strip_suffix('-') {
            trim_after = true;
            action = a;
        }
        out.push_str(before);
        out.push_str(&go_action(action.trim(), params)?);
        rest = &rest[i + 2 + j + 2..];
        if trim_after {
            rest = rest.trim_start();
        }
    }
    out.push_str(rest);
    Ok(out)
}

fn go_action(action: &str, params: &Map) -> Result<String, String> {
    let words: Vec<&str> = action.split_whitespace().collect();
    let unsupported = || {
        format!(
            "template action {{{{ {action} }}}} is not supported by preview (field access, index and normalize are)"
        )
    };
    let value = match words.as_slice() {
        [field] if field.starts_with('.') => lookup(params, field)?,
        ["index", field, keys @ ..] if field.starts_with('.') && !keys.is_empty() => {
            let mut v = lookup(params, field)?;
            for k in keys {
                v = match (k.parse::<usize>(), k.trim_matches('"')) {
                    (Ok(n), _) => v.get(n).cloned(),
                    (Err(_), key) if k.starts_with('"') => v.get(key).cloned(),
                    _ => return Err(unsupported()),
                }
                .ok_or_else(|| format!("template action {{{{ {action} }}}}: no such entry"))?;
            }
            v
        }
        ["normalize", field] if field.starts_with('.') => {
            Value::String(sanitize_name(&text_of(&lookup(params, field)?)))
        }
        _ => return Err(unsupported()),
    };
    Ok(text_of(&value))
}

fn text_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn lookup(params: &Map, field: &str) -> Result<Value, String> {
    let mut cur: Option<&Value> = None;
    for (i, seg) in field.trim_start_matches('.').split('.').enumerate() {
        cur = if i == 0 {
            params.get(seg)
        } else {
            cur.and_then(|c| c.get(seg))
        };
        if cur.is_none() {
            return Err(format!("template parameter {field} has no value"));
        }
    }
    cur.cloned()
        .ok_or_else(|| format!("template parameter {field} has no value"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;

    #[test]
    fn go_path_match() {
        let cases = [
            ("apps/*", "apps/a", true),
            ("apps/*", "apps/a/b", false),
            ("apps/*/overlays/prod", "apps/x/overlays/prod", true),
            ("apps/?", "apps/ab", false),
            ("apps/[a-c]*", "apps/beta", true),
            ("apps/[^a-c]*", "apps/beta", false),
            ("apps/\\*", "apps/*", true),
            ("*", "apps", true),
            ("*", "apps/a", false),
        ];
        for (p, n, want) in cases {
            assert_eq!(path_match(p, n), Ok(want), "{p} {n}");
        }
        assert!(path_match("apps/[a-", "apps/b").is_err());
    }

    #[test]
    fn list_and_git_generators_render_the_template() {
        let set = json!({
            "metadata": {"name": "fleet"},
            "spec": {
                "generators": [
                    {"list": {"elements": [{"cluster": "eu", "url": "https://eu", "replicas": 2}]}},
                    {"git": {"repoURL": "https://github.com/o/r.git",
                             "directories": [{"path": "apps/*"}, {"path": "apps/skip", "exclude": true}]}}
                ],
                "template": {
                    "metadata": {"name": "{{path.basename}}{{cluster}}-{{ replicas }}"},
                    "spec": {"source": {"path": "{{path}}"}, "destination": {"server": "{{url}}", "namespace": "{{path[1]}}"}}
                }
            }
        });
        let dirs: Vec<String> = ["apps", "apps/a", "apps/skip", "apps/a/b", "other"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let out = expand(&set, &dirs, &ThisRepo::new(&["git@github.com:o/r"])).unwrap();
        let apps: Vec<Value> = out.into_iter().map(Result::unwrap).collect();
        assert_eq!(apps.len(), 2);
        assert_eq!(apps[0]["metadata"]["name"], "{{path.basename}}eu-2");
        assert_eq!(apps[0]["spec"]["destination"]["server"], "https://eu");
        assert_eq!(apps[1]["metadata"]["name"], "a{{cluster}}-{{ replicas }}");
        assert_eq!(apps[1]["spec"]["source"]["path"], "apps/a");
        assert_eq!(apps[1]["spec"]["destination"]["namespace"], "a");
        assert_eq!(apps[1]["kind"], "Application");
    }

    #[test]
    fn go_templates_and_refusals() {
        let set = json!({
            "metadata": {"name": "g"},
            "spec": {
                "goTemplate": true,
                "generators": [{"git": {"repoURL": "r", "directories": [{"path": "apps/*"}]}}],
                "template": {"metadata": {"name": "{{ .path.basename }}-{{ index .path.segments 0 }}-{{normalize .path.path}}"},
                             "spec": {"source": {"path": "{{.path.path}}"}}}
            }
        });
        let dirs = vec!["apps/My_App".to_string()];
        let out = expand(&set, &dirs, &ThisRepo::default()).unwrap();
        let app = out[0].as_ref().unwrap();
        assert_eq!(app["metadata"]["name"], "My_App-apps-apps-my-app");
        let mut bad = set.clone();
        bad["spec"]["template"]["metadata"]["name"] = json!("{{ .path.basename | upper }}");
        let out = expand(&bad, &dirs, &ThisRepo::default()).unwrap();
        assert!(out[0].as_ref().unwrap_err().contains("not supported"));
        let mut cl = set.clone();
        cl["spec"]["generators"] = json!([{"clusters": {}}]);
        assert!(
            expand(&cl, &dirs, &ThisRepo::default())
                .unwrap_err()
                .contains("clusters generator")
        );
        let mut other = set;
        other["spec"]["generators"][0]["git"]["repoURL"] = json!("https://x/other");
        let err = expand(&other, &dirs, &ThisRepo::new(&["https://x/r"])).unwrap_err();
        assert!(err.contains("another repository"), "{err}");
        assert_eq!(sanitize_name("-My_App.v2-"), "my-app.v2");
    }
}
