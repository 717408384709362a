//! Patch and replacement targets: group/version/kind/name/namespace as anchored regexes plus
//! Kubernetes label and annotation selectors. Owns matching only.

use regex::Regex;
use serde::Deserialize;
use serde_json::Value;

use super::resmap::KRes;

/// A target selector as written in `patches[].target`.
#[derive(Debug, Clone, Deserialize, Default, PartialEq, Eq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Selector {
    /// API group.
    #[serde(default)]
    pub group: String,
    /// Version.
    #[serde(default)]
    pub version: String,
    /// Kind.
    #[serde(default)]
    pub kind: String,
    /// Name.
    #[serde(default)]
    pub name: String,
    /// Namespace.
    #[serde(default)]
    pub namespace: String,
    /// Label selector (`app=web,tier in (a,b)`).
    #[serde(default)]
    pub label_selector: String,
    /// Annotation selector.
    #[serde(default)]
    pub annotation_selector: String,
}

/// A selector compiled for matching.
#[derive(Debug)]
pub struct Compiled {
    group: Option<Regex>,
    version: Option<Regex>,
    kind: Option<Regex>,
    name: Option<Regex>,
    namespace: Option<Regex>,
    labels: Vec<Requirement>,
    annotations: Vec<Requirement>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Requirement {
    Eq(String, String),
    NotEq(String, String),
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
    Exists(String),
    NotExists(String),
}

fn anchored(p: &str) -> Result<Option<Regex>, String> {
    if p.is_empty() {
        return Ok(None);
    }
    Regex::new(&format!("^(?:{p})$"))
        .map(Some)
        .map_err(|e| format!("invalid regex {p:?}: {e}"))
}

/// Parses a Kubernetes label selector.
fn parse_requirements(s: &str) -> Result<Vec<Requirement>, String> {
    let mut out = Vec::new();
    let mut parts = Vec::new();
    let mut depth = 0;
    let mut cur = String::new();
    for c in s.chars() {
        match c {
            '(' => {
                depth += 1;
                cur.push(c)
            }
            ')' => {
                depth -= 1;
                cur.push(c)
            }
            ',' if depth == 0 => parts.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    parts.push(cur);
    for part in parts {
        let p = part.trim();
        if p.is_empty() {
            continue;
        }
        let set = |rest: &str| -> Result<Vec<String>, String> {
            let r = rest.trim();
            let inner = r
                .strip_prefix('(')
                .and_then(|x| x.strip_suffix(')'))
                .ok_or_else(|| format!("invalid selector {s:?}"))?;
            Ok(inner.split(',').map(|x| x.trim().to_string()).collect())
        };
        if let Some((k, v)) = p.split_once("!=") {
            out.push(Requirement::NotEq(k.trim().into(), v.trim().into()));
        } else if let Some((k, v)) = p.split_once("==") {
            out.push(Requirement::Eq(k.trim().into(), v.trim().into()));
        } else if let Some((k, v)) = p.split_once('=') {
            out.push(Requirement::Eq(k.trim().into(), v.trim().into()));
        } else if let Some((k, rest)) = p.split_once(" notin ") {
            out.push(Requirement::NotIn(k.trim().into(), set(rest)?));
        } else if let Some((k, rest)) = p.split_once(" in ") {
            out.push(Requirement::In(k.trim().into(), set(rest)?));
        } else if let Some(k) = p.strip_prefix('!') {
            out.push(Requirement::NotExists(k.trim().into()));
        } else if p.chars().all(|c| c.is_alphanumeric() || "-_./".contains(c)) {
            out.push(Requirement::Exists(p.into()));
        } else {
            return Err(format!("invalid selector {s:?}"));
        }
    }
    Ok(out)
}

fn req_matches(reqs: &[Requirement], map: Option<&Value>) -> bool {
    let get = |k: &str| map.and_then(|m| m.get(k)).and_then(Value::as_str);
    reqs.iter().all(|r| match r {
        Requirement::Eq(k, v) => get(k) == Some(v.as_str()),
        Requirement::NotEq(k, v) => get(k) != Some(v.as_str()),
        Requirement::In(k, vs) => get(k).is_some_and(|x| vs.iter().any(|v| v == x)),
        Requirement::NotIn(k, vs) => !get(k).is_some_and(|x| vs.iter().any(|v| v == x)),
        Requirement::Exists(k) => get(k).is_some(),
        Requirement::NotExists(k) => get(k).is_none(),
    })
}

impl Selector {
    /// Compiles the regexes and selectors.
    ///
    /// # Errors
    /// An invalid regex or selector, as a message.
    pub fn compile(&self) -> Result<Compiled, String> {
        Ok(Compiled {
            group: anchored(&self.group)?,
            version: anchored(&self.version)?,
            kind: anchored(&self.kind)?,
            name: anchored(&self.name)?,
            namespace: anchored(&self.namespace)?,
            labels: parse_requirements(&self.label_selector)?,
            annotations: parse_requirements(&self.annotation_selector)?,
        })
    }
}

impl Compiled {
    /// Whether the resource is selected (any of its current or earlier names counts, as in
    /// kustomize's `OrgId`/`CurId` matching).
    pub fn matches(&self, r: &KRes) -> bool {
        let (group, version) = match r.res.api_version().split_once('/') {
            Some((g, v)) => (g, v),
            None => ("", r.res.api_version()),
        };
        let ok = |re: &Option<Regex>, s: &str| re.as_ref().is_none_or(|re| re.is_match(s));
        if !ok(&self.kind, r.res.kind()) || !ok(&self.group, group) || !ok(&self.version, version) {
            return false;
        }
        if let Some(re) = &self.name
            && !re.is_match(r.res.name())
            && !r.prev.iter().any(|p| re.is_match(&p.1))
        {
            return false;
        }
        if let Some(re) = &self.namespace
            && !re.is_match(r.res.namespace())
            && !r.prev.iter().any(|p| re.is_match(&p.0))
        {
            return false;
        }
        let meta = r.res.value.get("metadata");
        req_matches(&self.labels, meta.and_then(|m| m.get("labels")))
            && req_matches(&self.annotations, meta.and_then(|m| m.get("annotations")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resource::{Origin, Resource};
    use serde_json::json;

    fn r(v: Value) -> KRes {
        KRes::new(Resource::new(v, Origin::default()))
    }

    #[test]
    fn selector_table() {
        let d = r(json!({"apiVersion":"apps/v1","kind":"Deployment",
            "metadata":{"name":"auth","labels":{"app":"auth","tier":"web"}}}));
        let cases = [
            (
                "kind",
                Selector {
                    kind: "Deployment".into(),
                    ..Default::default()
                },
                true,
            ),
            (
                "kind anchored",
                Selector {
                    kind: "Deploy".into(),
                    ..Default::default()
                },
                false,
            ),
            (
                "name regex",
                Selector {
                    name: "au.*".into(),
                    ..Default::default()
                },
                true,
            ),
            (
                "group",
                Selector {
                    group: "apps".into(),
                    ..Default::default()
                },
                true,
            ),
            (
                "label eq",
                Selector {
                    label_selector: "app=auth".into(),
                    ..Default::default()
                },
                true,
            ),
            (
                "label ne",
                Selector {
                    label_selector: "app!=auth".into(),
                    ..Default::default()
                },
                false,
            ),
            (
                "label in",
                Selector {
                    label_selector: "tier in (db, web)".into(),
                    ..Default::default()
                },
                true,
            ),
            (
                "label notin",
                Selector {
                    label_selector: "tier notin (web)".into(),
                    ..Default::default()
                },
                false,
            ),
            (
                "label exists",
                Selector {
                    label_selector: "app,!missing".into(),
                    ..Default::default()
                },
                true,
            ),
            (
                "label missing",
                Selector {
                    label_selector: "app=other".into(),
                    ..Default::default()
                },
                false,
            ),
        ];
        for (name, sel, want) in cases {
            assert_eq!(sel.compile().unwrap().matches(&d), want, "{name}");
        }
    }
}
