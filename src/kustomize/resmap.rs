//! The engine's working list: resources plus the bookkeeping kustomize keeps beside them
//! (previous names for name references, generator behavior, hash requests, applied affixes).
//! Owns id formatting and conflict checks; does no I/O.

use crate::value::{Map, Value};

use crate::resource::{Gvk, Resource, ResourceId};

use super::KustomizeError;

/// How a generated resource combines with one of the same name from a lower level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Behavior {
    /// Must not exist yet.
    Create,
    /// Replace the existing one.
    Replace,
    /// Merge data into the existing one.
    Merge,
}

/// A resource in the build with its history.
#[derive(Debug, Clone)]
pub struct KRes {
    /// The resource.
    pub res: Resource,
    /// Earlier (namespace, name, kind) ids, oldest first (the original first), recorded where
    /// kustomize stores a previous id (namespace, prefix/suffix, JSON patch, hash). Consecutive
    /// duplicates are kept once. Only resources with a history are name-reference targets.
    pub prev: Vec<(String, String, String)>,
    /// Generated resource that gets a content-hash suffix at the end of the build.
    pub needs_hash: bool,
    /// Generator behavior, when generated.
    pub behavior: Option<Behavior>,
    /// Name prefixes applied, innermost first.
    pub prefixes: Vec<String>,
    /// Name suffixes applied, innermost first.
    pub suffixes: Vec<String>,
    /// The original group/version/kind.
    pub org_gvk: Gvk,
    /// Names of the `vars` whose object reference picked this resource (kustomize tags the
    /// resource when the declaring kustomization's vars are merged).
    pub var_names: Vec<String>,
    /// Rendered by helm (`helmCharts`): kustomize's `helm-generated` mark, which keeps the
    /// namespace transformer away (helm set the namespace).
    pub helm_generated: bool,
}

impl KRes {
    /// Wraps a freshly loaded resource.
    pub fn new(res: Resource) -> Self {
        let org_gvk = res.gvk();
        KRes {
            res,
            prev: Vec::new(),
            needs_hash: false,
            behavior: None,
            prefixes: Vec::new(),
            suffixes: Vec::new(),
            org_gvk,
            var_names: Vec::new(),
            helm_generated: false,
        }
    }

    /// Current id.
    pub fn id(&self) -> ResourceId {
        self.res.id()
    }

    /// The original name (before any prefix, suffix or hash).
    pub fn org_name(&self) -> &str {
        self.prev
            .first()
            .map(|p| p.1.as_str())
            .unwrap_or_else(|| self.res.name())
    }

    /// The original namespace.
    pub fn org_namespace(&self) -> &str {
        self.prev
            .first()
            .map(|p| p.0.as_str())
            .unwrap_or_else(|| self.res.namespace())
    }

    /// Whether `name` is the current or any earlier name.
    pub fn had_name(&self, name: &str) -> bool {
        self.res.name() == name || self.prev.iter().any(|p| p.1 == name)
    }

    /// Records the current id in the history (kustomize's `StorePreviousId`).
    pub fn store_previous_id(&mut self) {
        let cur = (
            self.res.namespace().to_string(),
            self.res.name().to_string(),
            self.res.kind().to_string(),
        );
        if self.prev.last() != Some(&cur) {
            self.prev.push(cur);
        }
    }

    fn remember(&mut self) {
        self.store_previous_id();
    }

    /// Renames, remembering the old name.
    pub fn set_name(&mut self, name: &str) {
        if self.res.name() == name {
            return;
        }
        self.remember();
        set_path_str(&mut self.res.value, &["metadata", "name"], name);
    }

    /// Moves to a namespace, remembering the old one.
    pub fn set_namespace(&mut self, ns: &str) {
        if self.res.namespace() == ns {
            return;
        }
        self.remember();
        set_path_str(&mut self.res.value, &["metadata", "namespace"], ns);
    }

    /// `file:line:col` of the resource's document (or of a field in it).
    pub fn location(&self, pointer: &str) -> String {
        self.res.origin.describe(pointer)
    }
}

/// Sets a string at a path of mapping keys, creating mappings on the way.
pub fn set_path_str(v: &mut Value, path: &[&str], s: &str) {
    let mut cur = v;
    for (i, p) in path.iter().enumerate() {
        if !cur.is_object() {
            *cur = Value::Object(Map::new());
        }
        let Value::Object(m) = cur else { return };
        if i + 1 == path.len() {
            m.insert((*p).to_string(), Value::String(s.to_string()));
            return;
        }
        cur = m
            .entry((*p).to_string())
            .or_insert_with(|| Value::Object(Map::new()));
    }
}

/// kustomize's id text: `Kind.version.group/name.namespace` with `[noGrp]`/`[noNs]` markers.
pub fn kid(id: &ResourceId) -> String {
    let group = if id.gvk.group.is_empty() {
        "[noGrp]"
    } else {
        &id.gvk.group
    };
    let ns = if id.namespace.is_empty() {
        "[noNs]"
    } else {
        &id.namespace
    };
    if id.gvk.version.is_empty() && id.gvk.group.is_empty() {
        format!("{}.[noVer].[noGrp]/{}.{}", id.gvk.kind, id.name, ns)
    } else {
        format!(
            "{}.{}.{}/{}.{}",
            id.gvk.kind, id.gvk.version, group, id.name, ns
        )
    }
}

/// Namespaces equal in kustomize's sense (`""` and `default` are the same).
pub fn ns_equal(a: &str, b: &str) -> bool {
    fn n(s: &str) -> &str {
        if s.is_empty() { "default" } else { s }
    }
    n(a) == n(b)
}

/// Resources by id while conflicts are looked for, hashed with foldhash (seeded per process)
/// rather than SipHash: every build appends and checks every resource.
type IdIndex<'a> = std::collections::HashMap<
    (&'a str, &'a str, &'a str, &'a str),
    usize,
    foldhash::fast::RandomState,
>;

/// A resource's id as borrowed keys (apiVersion, kind, namespace with "default" as "", name):
/// no allocation.
fn id_key(r: &KRes) -> (&str, &str, &str, &str) {
    let ns = match r.res.namespace() {
        "default" => "",
        other => other,
    };
    (r.res.api_version(), r.res.kind(), ns, r.res.name())
}

/// The working list with an index for conflict checks.
#[derive(Debug, Default, Clone)]
pub struct ResMap {
    /// Resources in insertion order.
    pub list: Vec<KRes>,
}

impl ResMap {
    /// Appends one resource, failing when its id is already registered.
    ///
    /// # Errors
    /// [`KustomizeError::IdConflict`].
    pub fn append(&mut self, r: KRes) -> Result<(), KustomizeError> {
        let same = |x: &KRes| {
            x.res.name() == r.res.name()
                && x.res.kind() == r.res.kind()
                && x.res.api_version() == r.res.api_version()
                && ns_equal(x.res.namespace(), r.res.namespace())
        };
        if let Some(first) = self.list.iter().find(|x| same(x)) {
            return Err(KustomizeError::IdConflict {
                location: r.location(""),
                id: kid(&r.id()),
                first: first.location(""),
            });
        }
        self.list.push(r);
        Ok(())
    }

    /// Fails when a transformation has given two resources the same id (kustomize's
    /// "`what` produces ID conflict"); one hash pass over the list.
    ///
    /// # Errors
    /// [`KustomizeError::Invalid`] at the second resource, naming the id and the first.
    pub fn check_unique(&self, what: &str) -> Result<(), KustomizeError> {
        let mut seen = IdIndex::with_capacity_and_hasher(self.list.len(), Default::default());
        for (i, r) in self.list.iter().enumerate() {
            if let Some(&first) = seen.get(&id_key(r)) {
                return Err(KustomizeError::invalid(
                    r.location(""),
                    format!(
                        "{what} produces ID conflict: {} (also {})",
                        kid(&r.id()),
                        self.list[first].location("")
                    ),
                ));
            }
            seen.insert(id_key(r), i);
        }
        Ok(())
    }

    /// Appends many resources, checking conflicts with a hash index (linear time).
    ///
    /// # Errors
    /// [`KustomizeError::IdConflict`].
    pub fn append_all(&mut self, items: Vec<KRes>) -> Result<(), KustomizeError> {
        let key = id_key;
        let mut seen =
            IdIndex::with_capacity_and_hasher(self.list.len() + items.len(), Default::default());
        for (i, r) in self.list.iter().chain(items.iter()).enumerate() {
            if let Some(&first) = seen.get(&key(r)) {
                let at = |j: usize| {
                    if j < self.list.len() {
                        &self.list[j]
                    } else {
                        &items[j - self.list.len()]
                    }
                };
                return Err(KustomizeError::IdConflict {
                    location: r.location(""),
                    id: kid(&r.id()),
                    first: at(first).location(""),
                });
            }
            seen.insert(key(r), i);
        }
        drop(seen);
        self.list.extend(items);
        Ok(())
    }
}

/// Whether kustomize v5.8.1 knows the type to be cluster-scoped. kustomize decides by the exact
/// apiVersion and kind from its precomputed table of the built-in schema; any other type (a newer
/// version, a custom group, a kind it does not list) counts as namespaced.
pub fn is_cluster_scoped(gvk: &Gvk) -> bool {
    let versions: &[&str] = match (gvk.group.as_str(), gvk.kind.as_str()) {
        (
            "",
            "Namespace" | "Node" | "PersistentVolume" | "ComponentStatus" | "NodeProxyOptions",
        ) => &["v1"],
        (
            "admissionregistration.k8s.io",
            "MutatingWebhookConfiguration" | "ValidatingWebhookConfiguration",
        )
        | ("apiextensions.k8s.io", "CustomResourceDefinition")
        | ("apiregistration.k8s.io", "APIService")
        | ("certificates.k8s.io", "CertificateSigningRequest")
        | ("networking.k8s.io", "IngressClass")
        | ("node.k8s.io", "RuntimeClass")
        | ("rbac.authorization.k8s.io", "ClusterRole" | "ClusterRoleBinding")
        | ("scheduling.k8s.io", "PriorityClass")
        | ("storage.k8s.io", "CSIDriver" | "CSINode" | "StorageClass" | "VolumeAttachment") => {
            &["v1", "v1beta1"]
        }
        ("flowcontrol.apiserver.k8s.io", "FlowSchema" | "PriorityLevelConfiguration")
        | ("policy", "PodSecurityPolicy") => &["v1beta1"],
        _ => &[],
    };
    versions.contains(&gvk.version.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;
    use crate::resource::Origin;

    fn res(v: Value) -> KRes {
        KRes::new(Resource::new(v, Origin::default()))
    }

    #[test]
    fn kid_format() {
        let r = res(json!({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"x"}}));
        assert_eq!(kid(&r.id()), "Deployment.v1.apps/x.[noNs]");
        let r = res(
            json!({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x","namespace":"n"}}),
        );
        assert_eq!(kid(&r.id()), "ConfigMap.v1.[noGrp]/x.n");
    }

    #[test]
    fn conflicts_detected() {
        let mut m = ResMap::default();
        let v = json!({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x"}});
        m.append_all(vec![res(v.clone())]).unwrap();
        assert!(m.append_all(vec![res(v.clone())]).is_err());
        assert!(m.append(res(v)).is_err());
    }

    #[test]
    fn history() {
        let mut r = res(json!({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x"}}));
        r.set_name("p-x");
        r.set_namespace("n");
        assert_eq!(r.org_name(), "x");
        assert!(r.had_name("x") && r.had_name("p-x"));
        assert_eq!(r.org_namespace(), "");
    }
}
