//! Patch and replacement targets: group/version/kind/name/namespace as anchored regexes plus
//! Kubernetes label and annotation selectors (parsed by `crate::label_selector`). Owns matching
//! only.

use regex::Regex;
use serde::Deserialize;

use super::resmap::KRes;
use crate::label_selector::LabelSelector;

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
    labels: Option<LabelSelector>,
    annotations: Option<LabelSelector>,
}

fn anchored(p: &str) -> Result<Option<Regex>, String> {
    if p.is_empty() {
        return Ok(None);
    }
    Regex::new(&format!("^(?:{p})$"))
        .map(Some)
        .map_err(|e| format!("invalid regex {p:?}: {e}"))
}

/// A label or annotation selector; `None` (everything) when empty.
fn parse_selector(s: &str) -> Result<Option<LabelSelector>, String> {
    if s.trim().is_empty() {
        return Ok(None);
    }
    LabelSelector::parse(s).map(Some).map_err(|e| e.to_string())
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
            labels: parse_selector(&self.label_selector)?,
            annotations: parse_selector(&self.annotation_selector)?,
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
        let selects = |s: &Option<LabelSelector>, map: &str| {
            s.as_ref()
                .is_none_or(|s| s.matches_map(meta.and_then(|m| m.get(map))))
        };
        selects(&self.labels, "labels") && selects(&self.annotations, "annotations")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;
    use crate::resource::{Origin, Resource};
    use crate::value::Value;

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
