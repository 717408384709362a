//! Normalization before comparing: drop what the API server owns, apply ignore rules, and project
//! the live object onto the fields the rendered manifest sets (Argo CD's approach), so server
//! defaults never show as changes.
//!
//! Owns the table of server-owned fields and the projection rules. Pure functions on JSON values;
//! no I/O, no knowledge of where live state came from.

use crate::value::{Map, Value};

use crate::resource::ResourceId;

/// Server-owned fields, removed from both sides before comparing (JSON pointers, RFC 6901).
pub const SERVER_OWNED: &[&str] = &[
    "/status",
    "/metadata/managedFields",
    "/metadata/resourceVersion",
    "/metadata/uid",
    "/metadata/generation",
    "/metadata/creationTimestamp",
    "/metadata/selfLink",
    "/metadata/annotations/kubectl.kubernetes.io~1last-applied-configuration",
    "/metadata/annotations/deployment.kubernetes.io~1revision",
];

/// List item keys that identify an entry (tried in order): the strategic-merge keys of the lists
/// the rollout touches (`containers`, `env`, `volumes` by name; `ports` by port; `volumeMounts` by
/// mount path).
pub const LIST_KEYS: &[&str] = &["name", "containerPort", "port", "mountPath", "devicePath"];

/// A `--ignore` rule: remove the field at `pointer` from both sides of matching objects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IgnoreRule {
    /// API group to match (`None`: any group).
    pub group: Option<String>,
    /// Kind to match (`*`: any kind).
    pub kind: String,
    /// Namespace to match (`None`: any).
    pub namespace: Option<String>,
    /// Name to match (`None`: any).
    pub name: Option<String>,
    /// JSON pointer (RFC 6901); a `*` segment matches every key or list item.
    pub pointer: String,
}

/// An `--ignore` value that could not be parsed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error(
    "invalid --ignore {value:?}: {reason} (expected KIND:POINTER or GROUP/KIND:POINTER, e.g. Deployment:/spec/replicas)"
)]
pub struct IgnoreError {
    /// The value as given.
    pub value: String,
    /// What is wrong.
    pub reason: String,
}

/// Kinds an `--ignore` rule may name besides the built-in ones and those rendered: the Argo
/// projects' custom resources rollout itself deals with.
const KNOWN_CUSTOM_KINDS: &[&str] = &["Application", "AppProject", "ApplicationSet", "Rollout"];

fn builtin_kinds() -> impl Iterator<Item = &'static str> {
    crate::schema::apis::builtin_kinds().chain(KNOWN_CUSTOM_KINDS.iter().copied())
}

impl IgnoreRule {
    /// Parses `KIND:POINTER` or `GROUP/KIND:POINTER` (`*` as kind matches every kind).
    ///
    /// # Errors
    /// When the colon, kind or leading `/` of the pointer is missing.
    pub fn parse(value: &str) -> Result<Self, IgnoreError> {
        let err = |reason: &str| IgnoreError {
            value: value.to_string(),
            reason: reason.to_string(),
        };
        let (kind_part, pointer) = value.split_once(':').ok_or_else(|| err("missing ':'"))?;
        if !pointer.starts_with('/') {
            return Err(err("the pointer must start with '/'"));
        }
        let (group, kind) = match kind_part.rsplit_once('/') {
            Some((g, k)) => (Some(g.to_string()), k.to_string()),
            None => (None, kind_part.to_string()),
        };
        if kind.is_empty() {
            return Err(err("missing kind"));
        }
        Ok(IgnoreRule {
            group,
            kind,
            namespace: None,
            name: None,
            pointer: pointer.to_string(),
        })
    }

    /// Checks that the rule's kind exists: `*`, a built-in Kubernetes kind, an Argo CD or Argo
    /// Rollouts kind, or one of `rendered` (custom resources of the target). A misspelt kind would
    /// silently ignore nothing.
    ///
    /// # Errors
    /// An unknown kind, with the closest known spelling when there is one.
    pub fn check_kind<'a>(
        &self,
        rendered: impl IntoIterator<Item = &'a str>,
    ) -> Result<(), IgnoreError> {
        let kind = self.kind.as_str();
        let mut all: Vec<&str> = builtin_kinds().collect();
        all.extend(rendered);
        let known = || all.iter().copied();
        if kind == "*" || known().any(|k| k == kind) {
            return Ok(());
        }
        let closest = known()
            .map(|k| {
                let d = if k.eq_ignore_ascii_case(kind) {
                    0
                } else {
                    crate::finding::edit_distance(
                        &k.to_ascii_lowercase(),
                        &kind.to_ascii_lowercase(),
                    )
                    .max(1)
                };
                (d, k)
            })
            .min();
        let hint = match closest {
            Some((d, k)) if d <= 2.max(kind.len() / 4) => format!("; did you mean {k:?}?"),
            _ => String::new(),
        };
        let group = self
            .group
            .as_ref()
            .map(|g| format!("{g}/"))
            .unwrap_or_default();
        Err(IgnoreError {
            value: format!("{group}{kind}:{}", self.pointer),
            reason: format!(
                "unknown kind {kind:?}, neither a built-in Kubernetes kind nor one rendered{hint}"
            ),
        })
    }

    /// True when the rule applies to the object `id`.
    pub fn applies(&self, id: &ResourceId) -> bool {
        (self.kind == "*" || self.kind == id.gvk.kind)
            && self.group.as_ref().is_none_or(|g| g == &id.gvk.group)
            && self.namespace.as_ref().is_none_or(|n| n == &id.namespace)
            && self.name.as_ref().is_none_or(|n| n == &id.name)
    }
}

fn unescape(seg: &str) -> String {
    seg.replace("~1", "/").replace("~0", "~")
}

/// Removes the field at `pointer` (with `*` wildcards) wherever it exists; absent paths are fine.
pub fn remove_pointer(value: &mut Value, pointer: &str) {
    remove_segs(value, &pointer_segments(pointer));
}

fn pointer_segments(pointer: &str) -> Vec<String> {
    pointer.split('/').skip(1).map(unescape).collect()
}

/// [`SERVER_OWNED`] split into segments once, not for every object compared.
fn server_owned_segments() -> &'static [Vec<String>] {
    static SEGMENTS: std::sync::OnceLock<Vec<Vec<String>>> = std::sync::OnceLock::new();
    SEGMENTS.get_or_init(|| SERVER_OWNED.iter().map(|p| pointer_segments(p)).collect())
}

fn remove_segs(value: &mut Value, segs: &[String]) {
    let Some((first, rest)) = segs.split_first() else {
        return;
    };
    match value {
        Value::Object(m) => {
            if first == "*" {
                if rest.is_empty() {
                    m.clear();
                } else {
                    m.values_mut().for_each(|v| remove_segs(v, rest));
                }
            } else if rest.is_empty() {
                m.remove(first.as_str());
            } else if let Some(v) = m.get_mut(first.as_str()) {
                remove_segs(v, rest);
            }
        }
        Value::Array(a) => {
            if first == "*" {
                if rest.is_empty() {
                    a.clear();
                } else {
                    a.iter_mut().for_each(|v| remove_segs(v, rest));
                }
            } else if let Ok(i) = first.parse::<usize>() {
                if rest.is_empty() {
                    if i < a.len() {
                        a.remove(i);
                    }
                } else if let Some(v) = a.get_mut(i) {
                    remove_segs(v, rest);
                }
            }
        }
        _ => {}
    }
}

/// Drops server-owned fields, then the fields of every rule that applies to `id`; removes
/// `metadata.annotations` when it ends up empty.
pub fn strip(value: &mut Value, id: &ResourceId, rules: &[IgnoreRule]) {
    for segs in server_owned_segments() {
        remove_segs(value, segs);
    }
    for r in rules.iter().filter(|r| r.applies(id)) {
        remove_pointer(value, &r.pointer);
    }
    if let Some(md) = value.get_mut("metadata").and_then(Value::as_object_mut)
        && md
            .get("annotations")
            .is_some_and(|a| a.as_object().is_some_and(Map::is_empty) || a.is_null())
    {
        md.remove("annotations");
    }
}

/// Removes null-valued keys (a null in a manifest means "unset").
pub fn drop_nulls(value: &mut Value) {
    match value {
        Value::Object(m) => {
            m.retain(|_, v| !v.is_null());
            m.values_mut().for_each(drop_nulls);
        }
        Value::Array(a) => a.iter_mut().for_each(drop_nulls),
        _ => {}
    }
}

fn key_of(item: &Value, key: &str) -> Option<String> {
    match item.get(key)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The key identifying entries of two lists of maps (every item of both has it, values unique on
/// each side), from [`LIST_KEYS`]; `None` when there is none (compare by index).
pub fn list_key(a: &[Value], b: &[Value]) -> Option<&'static str> {
    if a.is_empty() && b.is_empty() {
        return None;
    }
    LIST_KEYS.iter().copied().find(|k| {
        [a, b].iter().all(|list| {
            let mut seen = std::collections::HashSet::new();
            list.iter()
                .all(|i| key_of(i, k).is_some_and(|v| seen.insert(v)))
        })
    })
}

/// The identity of a list entry under `key`.
pub fn entry_key(item: &Value, key: &str) -> String {
    key_of(item, key).unwrap_or_default()
}

/// The live value restricted to what `rendered` sets: map keys the rendered side does not set are
/// dropped; list entries are matched by [`list_key`] (else by index) and projected; live entries
/// the rendered list lacks are kept whole (applying the manifest would remove them). A key
/// the rendered side sets but live lacks stays absent, so it shows as added.
pub fn project(live: &Value, rendered: &Value) -> Value {
    match (live, rendered) {
        (Value::Object(l), Value::Object(r)) => {
            let mut out = Map::new();
            for (k, rv) in r {
                if let Some(lv) = l.get(k) {
                    out.insert(k.clone(), project(lv, rv));
                }
            }
            Value::Object(out)
        }
        (Value::Array(l), Value::Array(r)) => {
            if l.iter().chain(r).all(Value::is_object)
                && let Some(key) = list_key(l, r)
            {
                let mut out = Vec::with_capacity(l.len());
                for ri in r {
                    let name = entry_key(ri, key);
                    if let Some(li) = l.iter().find(|li| entry_key(li, key) == name) {
                        out.push(project(li, ri));
                    }
                }
                for li in l {
                    let name = entry_key(li, key);
                    if !r.iter().any(|ri| entry_key(ri, key) == name) {
                        out.push(li.clone());
                    }
                }
                Value::Array(out)
            } else if l.iter().chain(r).all(Value::is_object) {
                l.iter()
                    .enumerate()
                    .map(|(i, li)| match r.get(i) {
                        Some(ri) => project(li, ri),
                        None => li.clone(),
                    })
                    .collect()
            } else {
                live.clone()
            }
        }
        _ => live.clone(),
    }
}

/// Map keys whose values are resource quantities (`cpu: 0.5` and `cpu: 500m` are equal).
const QUANTITY_PARENTS: &[&str] = &["requests", "limits", "hard", "capacity", "allocatable"];

/// The value of a Kubernetes quantity in nano-units, exactly (`None` when not a quantity).
pub fn quantity_nanos(v: &Value) -> Option<i128> {
    let text = match v {
        Value::String(s) => s.trim().to_string(),
        Value::Number(n) => n.to_string(),
        _ => return None,
    };
    let (sign, body) = match text.strip_prefix('-') {
        Some(rest) => (-1i128, rest),
        None => (1, text.strip_prefix('+').unwrap_or(&text)),
    };
    let split = body
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(body.len());
    let (num, suffix) = body.split_at(split);
    let (int, frac) = num.split_once('.').unwrap_or((num, ""));
    if (int.is_empty() && frac.is_empty()) || frac.len() > 9 {
        return None;
    }
    let int: i128 = if int.is_empty() { 0 } else { int.parse().ok()? };
    let frac_nanos: i128 = if frac.is_empty() {
        0
    } else {
        format!("{frac:0<9}").parse().ok()?
    };
    let base = int.checked_mul(1_000_000_000)?.checked_add(frac_nanos)?;
    let (mul, div): (i128, i128) = match suffix {
        "" => (1, 1),
        "n" => (1, 1_000_000_000),
        "u" => (1, 1_000_000),
        "m" => (1, 1_000),
        "k" => (1_000, 1),
        "M" => (1_000_000, 1),
        "G" => (1_000_000_000, 1),
        "T" => (1_000_000_000_000, 1),
        "P" => (1_000_000_000_000_000, 1),
        "E" => (1_000_000_000_000_000_000, 1),
        "Ki" => (1 << 10, 1),
        "Mi" => (1 << 20, 1),
        "Gi" => (1 << 30, 1),
        "Ti" => (1 << 40, 1),
        "Pi" => (1 << 50, 1),
        "Ei" => (1 << 60, 1),
        s if s.starts_with(['e', 'E']) => {
            let exp: u32 = s[1..].parse().ok()?;
            (10i128.checked_pow(exp)?, 1)
        }
        _ => return None,
    };
    let scaled = base.checked_mul(mul)?;
    if scaled % div != 0 {
        return None;
    }
    Some(sign * scaled / div)
}

/// Removes from `rendered` what applying would not change but would still print as a difference:
/// keys holding `{}`, `[]` or null that live does not have (the API server omits empty values),
/// and quantities equal to live's in another spelling (`0.5` vs `500m`, `1024Mi` vs `1Gi`), which
/// take live's spelling.
pub fn reconcile(rendered: &mut Value, live: &Value) {
    reconcile_at(rendered, live, "");
}

fn is_empty_value(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Object(m) => m.is_empty(),
        Value::Array(a) => a.is_empty(),
        _ => false,
    }
}

fn reconcile_at(rendered: &mut Value, live: &Value, parent_key: &str) {
    match (rendered, live) {
        (Value::Object(r), Value::Object(l)) => {
            r.retain(|k, v| l.contains_key(k) || !is_empty_value(v));
            let quantities = QUANTITY_PARENTS.contains(&parent_key);
            for (k, rv) in r.iter_mut() {
                let Some(lv) = l.get(k) else { continue };
                if quantities
                    && rv != lv
                    && let (Some(a), Some(b)) = (quantity_nanos(rv), quantity_nanos(lv))
                    && a == b
                {
                    *rv = lv.clone();
                    continue;
                }
                reconcile_at(rv, lv, k);
            }
        }
        (Value::Array(r), Value::Array(l)) if r.iter().chain(l).all(Value::is_object) => {
            match list_key(r, l) {
                Some(key) => {
                    for ri in r.iter_mut() {
                        let name = entry_key(ri, key);
                        if let Some(li) = l.iter().find(|li| entry_key(li, key) == name) {
                            reconcile_at(ri, li, "");
                        }
                    }
                }
                None => {
                    for (ri, li) in r.iter_mut().zip(l) {
                        reconcile_at(ri, li, "");
                    }
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resource::Gvk;

    fn y(text: &str) -> Value {
        crate::yaml::parse_document(text).unwrap().value
    }

    fn deploy_id() -> ResourceId {
        ResourceId {
            gvk: Gvk::from_api_version("apps/v1", "Deployment"),
            namespace: "media".into(),
            name: "auth".into(),
        }
    }

    /// (name, live, rendered, expected projection)
    const PROJECTION: &[(&str, &str, &str, &str)] = &[
        (
            "server defaults inside named containers vanish",
            "containers: [{name: a, image: x, terminationMessagePath: /dev/termination-log, imagePullPolicy: Always}]",
            "containers: [{name: a, image: y}]",
            "containers: [{name: a, image: x}]",
        ),
        (
            "named entries matched regardless of order; live-only entries kept",
            "env: [{name: B, value: '2'}, {name: X, value: 'x'}, {name: A, value: '1'}]",
            "env: [{name: A, value: '1'}, {name: B, value: '2'}]",
            "env: [{name: A, value: '1'}, {name: B, value: '2'}, {name: X, value: 'x'}]",
        ),
        (
            "ports matched by containerPort when unnamed",
            "ports: [{containerPort: 80, protocol: TCP}]",
            "ports: [{containerPort: 80}]",
            "ports: [{containerPort: 80}]",
        ),
        (
            "unkeyed maps in lists matched by index",
            "envFrom: [{configMapRef: {name: c, optional: false}}]",
            "envFrom: [{configMapRef: {name: c}}]",
            "envFrom: [{configMapRef: {name: c}}]",
        ),
        (
            "scalar lists are compared whole",
            "args: [a, b, c]",
            "args: [a, b]",
            "args: [a, b, c]",
        ),
        (
            "a key the rendered side sets but live lacks stays absent",
            "spec: {replicas: 2}",
            "spec: {replicas: 2, paused: false}",
            "spec: {replicas: 2}",
        ),
        (
            "negative: a type change is kept as live has it",
            "a: {b: 1}",
            "a: [1]",
            "a: {b: 1}",
        ),
    ];

    #[test]
    fn projection_table() {
        for (name, live, rendered, want) in PROJECTION {
            assert_eq!(project(&y(live), &y(rendered)), y(want), "{name}");
        }
    }

    #[test]
    fn strip_drops_server_owned_fields_and_ignored_pointers() {
        let mut v = y(
            "metadata:\n  name: auth\n  uid: u\n  resourceVersion: '1'\n  generation: 3\n  creationTimestamp: '2026-01-01T00:00:00Z'\n  managedFields: []\n  annotations:\n    kubectl.kubernetes.io/last-applied-configuration: '{}'\n    deployment.kubernetes.io/revision: '4'\nspec:\n  replicas: 3\n  template:\n    spec:\n      containers: [{name: a, resources: {limits: {cpu: 1}}}]\nstatus: {replicas: 3}\n",
        );
        let rules = vec![
            IgnoreRule::parse("apps/Deployment:/spec/replicas").unwrap(),
            IgnoreRule::parse("Deployment:/spec/template/spec/containers/*/resources").unwrap(),
            IgnoreRule::parse("Service:/metadata/name").unwrap(),
        ];
        strip(&mut v, &deploy_id(), &rules);
        assert_eq!(
            v,
            y(
                "metadata: {name: auth}\nspec:\n  template:\n    spec:\n      containers: [{name: a}]\n"
            )
        );
    }

    /// (name, rendered, live, rendered after reconcile)
    const RECONCILE: &[(&str, &str, &str, &str)] = &[
        (
            "helm's empty values that the server omits are dropped",
            "spec: {nodeSelector: {}, tolerations: [], affinity: null, replicas: 1}",
            "spec: {replicas: 1}",
            "spec: {replicas: 1}",
        ),
        (
            "negative: an empty value live has is kept (so a real change still shows)",
            "spec: {securityContext: {}}",
            "spec: {securityContext: {runAsUser: 1000}}",
            "spec: {securityContext: {}}",
        ),
        (
            "equal quantities take live's spelling, inside named containers",
            "containers: [{name: a, resources: {requests: {cpu: 0.5, memory: 1024Mi}, limits: {cpu: '2'}}}]",
            "containers: [{name: a, resources: {requests: {cpu: 500m, memory: 1Gi}, limits: {cpu: '2'}}}]",
            "containers: [{name: a, resources: {requests: {cpu: 500m, memory: 1Gi}, limits: {cpu: '2'}}}]",
        ),
        (
            "negative: different quantities stay",
            "resources: {requests: {cpu: 250m}}",
            "resources: {requests: {cpu: 500m}}",
            "resources: {requests: {cpu: 250m}}",
        ),
        (
            "negative: quantity rules only under requests/limits",
            "data: {size: 0.5}",
            "data: {size: 500m}",
            "data: {size: 0.5}",
        ),
    ];

    #[test]
    fn reconcile_table() {
        for (name, rendered, live, want) in RECONCILE {
            let mut r = y(rendered);
            reconcile(&mut r, &y(live));
            assert_eq!(r, y(want), "{name}");
        }
    }

    #[test]
    fn quantities() {
        let q = |s: &str| quantity_nanos(&Value::String(s.into()));
        assert_eq!(q("500m"), q("0.5"));
        assert_eq!(q("1Gi"), q("1024Mi"));
        assert_eq!(q("1k"), q("1000"));
        assert_eq!(q("1e3"), q("1k"));
        assert_eq!(q("1.5"), Some(1_500_000_000));
        assert_eq!(quantity_nanos(&crate::json!(2)), q("2"));
        for bad in ["", "abc", "1Xi", "1.2.3", "."] {
            assert_eq!(q(bad), None, "{bad}");
        }
    }

    #[test]
    fn ignore_rule_parsing() {
        let r = IgnoreRule::parse("apps/Deployment:/spec/replicas").unwrap();
        assert_eq!(r.group.as_deref(), Some("apps"));
        assert!(r.applies(&deploy_id()));
        assert!(
            !IgnoreRule::parse("Service:/spec")
                .unwrap()
                .applies(&deploy_id())
        );
        assert!(
            IgnoreRule::parse("*:/metadata/labels")
                .unwrap()
                .applies(&deploy_id())
        );
        for bad in ["Deployment", "Deployment:spec", ":/spec"] {
            assert!(IgnoreRule::parse(bad).is_err(), "{bad}");
        }
    }
}
